/** `/admin/console/console.css`: system fonts, high contrast, visible focus. No inline styles anywhere. */
export const CONSOLE_CSS = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; --accent: #0b57d0; --bad: #a4001d; --ok: #0a6b2b; --bg: #fff; --soft: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem 1rem; }
.skip:focus { left: 0; z-index: 10; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--soft); }
.brand { font-weight: 700; }
.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
.top nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.who { margin-left: auto; color: var(--muted); }
main { padding: 1rem 1.25rem 3rem; max-width: 90rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
.title-row { display: flex; align-items: center; gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; max-width: 48rem; background: var(--bg); }
.field { display: flex; flex-direction: column; gap: .2rem; margin: 0 0 .75rem; }
.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .75rem; margin: 0 0 1rem; }
.filters .field { margin: 0; }
label, legend { font-weight: 600; }
input, select, button, .button { font: inherit; }
input, select { padding: .35rem .5rem; border: 1px solid #767676; border-radius: 4px; min-width: 12rem; background: var(--bg); color: var(--fg); }
input[type="radio"] { min-width: 0; }
button, .button { display: inline-block; padding: .4rem .9rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button:disabled { opacity: .55; cursor: not-allowed; }
button.danger { background: var(--bad); border-color: var(--bad); }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 1rem; padding: .75rem 1rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .1rem 0 .75rem; }
.actions { margin: 1rem 0; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; color: var(--muted); }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
.grants td, .grants th { text-align: center; }
.grants th[scope="row"] { text-align: left; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.25rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; border: 1px solid currentColor; font-size: .85rem; }
.badge-active, .badge-allowed, .badge-processed, .badge-done, .badge-Captured, .badge-won { color: var(--ok); }
.badge-revoked, .badge-denied, .badge-failed, .badge-dead_lettered, .badge-dead, .badge-lost, .badge-expired { color: var(--bad); }
.error { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
.notice { background: var(--soft); border-left: 4px solid var(--accent); padding: .5rem .75rem; }
.empty { color: var(--muted); }
.pager { display: flex; gap: 1rem; align-items: center; margin: .5rem 0 1rem; }
pre.json { background: var(--soft); padding: .75rem; overflow: auto; max-height: 30rem; border-radius: 6px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; word-break: break-all; }
code.secret { display: inline-block; padding: .4rem .6rem; background: #fff8db; border: 1px solid #b08800; font-size: 1rem; }
ol.timeline { padding-left: 1.5rem; }
ol.timeline li { margin: .2rem 0; }
.approvals { display: grid; gap: 1rem; }
.approval h2 { margin-top: 0; }
.approval details { margin: 0 0 .75rem; }
button.approve { background: var(--ok); border-color: var(--ok); }
`;
