import { DEMO_ITEMS, type DemoItem } from './items';

/**
 * The demo shop page: plain HTML and CSS; behaviour in `/demo/shop.js` (`shop-script.ts`). Everything
 * interpolated is the server's own catalogue, escaped anyway.
 */

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function price(item: DemoItem): string {
  return new Intl.NumberFormat('en-GB', { style: 'currency', currency: item.currency }).format(
    item.amount / 100,
  );
}

function itemCard(item: DemoItem, index: number): string {
  return `<label class="item">
  <input type="radio" name="item" value="${escapeHtml(item.id)}" data-amount="${item.amount}" data-currency="${escapeHtml(item.currency)}" data-name="${escapeHtml(item.name)}"${index === 0 ? ' checked' : ''}>
  <span class="icon" aria-hidden="true" style="background:${escapeHtml(item.colour)}">${escapeHtml(item.name.slice(0, 1))}</span>
  <span class="name">${escapeHtml(item.name)}</span>
  <span class="blurb">${escapeHtml(item.blurb)}</span>
  <span class="price">${price(item)}</span>
</label>`;
}

const STYLE = `
:root { --ink:#1d2330; --muted:#5d6677; --line:#e3e6ec; --bg:#f6f7f9; --card:#fff; --accent:#1f5eff; --ok:#137a3b; --bad:#b42318; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:var(--ink); color:#fff; padding:14px 24px; display:flex; align-items:baseline; gap:12px; }
header h1 { margin:0; font-size:19px; letter-spacing:.2px; }
header small { color:#b8c0cf; }
main { max-width:1040px; margin:24px auto; padding:0 16px; display:grid; grid-template-columns: 1fr 360px; gap:20px; }
@media (max-width: 860px) { main { grid-template-columns: 1fr; } }
section { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:18px; }
h2 { margin:0 0 12px; font-size:16px; }
.items { display:grid; grid-template-columns: repeat(auto-fill,minmax(190px,1fr)); gap:12px; }
.item { position:relative; border:1px solid var(--line); border-radius:10px; padding:14px; display:grid; gap:4px; cursor:pointer; }
.item:has(input:checked) { border-color:var(--accent); box-shadow:0 0 0 2px #1f5eff33; }
.item input { position:absolute; opacity:0; }
.icon { width:40px; height:40px; border-radius:10px; display:grid; place-items:center; color:#fff; font-weight:700; font-size:18px; } .name { font-weight:600; } .blurb { color:var(--muted); font-size:13px; } .price { font-weight:600; margin-top:4px; }
.tabs { display:flex; gap:6px; margin:18px 0 12px; }
.tabs button { flex:1; padding:9px; border:1px solid var(--line); background:#fff; border-radius:8px; cursor:pointer; font:inherit; }
.tabs button[aria-selected="true"] { border-color:var(--accent); color:var(--accent); font-weight:600; }
form { display:grid; gap:10px; }
form[hidden] { display:none; }
label.field { display:grid; gap:4px; font-size:13px; color:var(--muted); }
input[type=text] { font:inherit; padding:9px 10px; border:1px solid var(--line); border-radius:8px; width:100%; min-width:0; }
input[aria-invalid="true"] { border-color:var(--bad); }
.row { display:grid; grid-template-columns:1fr 1fr; gap:10px; }
button.pay { padding:11px; border:0; border-radius:8px; background:var(--accent); color:#fff; font:600 15px system-ui,sans-serif; cursor:pointer; }
button.pay:disabled { opacity:.6; cursor:progress; }
.hint { font-size:12px; color:var(--muted); }
.hint button { font:inherit; font-size:12px; border:0; background:none; color:var(--accent); cursor:pointer; padding:0; text-decoration:underline; }
#outcome { margin-top:14px; padding:12px; border-radius:8px; display:none; }
#outcome[data-status] { display:block; }
#outcome[data-status="approved"] { background:#e8f6ee; color:var(--ok); }
#outcome[data-status="declined"], #outcome[data-status="error"] { background:#fdecea; color:var(--bad); }
#outcome[data-status="pending"], #outcome[data-status="confirming"] { background:#eef3ff; color:var(--accent); }
#outcome[data-status="unconfirmed"] { background:#fff4e5; color:#8a4b00; }
#outcome button.action { margin-top:8px; padding:7px 12px; border:1px solid currentColor; border-radius:8px; background:#fff; color:inherit; font:inherit; cursor:pointer; }
#outcome code { font-size:12px; }
#events ol { list-style:none; margin:0; padding:0; display:grid; gap:6px; }
#events li { display:flex; justify-content:space-between; gap:8px; border:1px solid var(--line); border-radius:8px; padding:8px 10px; font-size:13px; }
#events li b { font-family:ui-monospace,monospace; font-weight:600; }
#events .empty { color:var(--muted); font-size:13px; }
.mode { font-size:12px; color:var(--muted); margin-top:10px; }
`;

/** The page. `connectSrc` is the tokenization host, the one origin besides Bollard the page talks to. */
export function shopPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Bollard demo shop</title>
<style>${STYLE}</style>
<script type="module" src="/demo/shop.js"></script>
</head>
<body>
<header><h1>Bollard demo shop</h1><small>A storefront that holds no secret — payments go through Bollard</small></header>
<main>
  <div>
    <section>
      <h2>1. Pick an item</h2>
      <div class="items" id="items">${DEMO_ITEMS.map(itemCard).join('\n')}</div>
    </section>
    <section style="margin-top:20px" id="events" aria-live="polite">
      <h2>Webhook events</h2>
      <p class="empty" id="events-empty">Events Checkout.com sends for your payment appear here as Bollard receives them.</p>
      <ol id="events-list"></ol>
    </section>
  </div>
  <section>
    <h2>2. Pay</h2>
    <div class="tabs" role="tablist">
      <button type="button" role="tab" id="tab-card" aria-selected="true" aria-controls="card-form">Card</button>
      <button type="button" role="tab" id="tab-link" aria-selected="false" aria-controls="link-form">Payment link</button>
    </div>
    <form id="card-form" novalidate>
      <label class="field">Card number<input type="text" id="card-number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242"></label>
      <div class="row">
        <label class="field">Expiry (MM/YY)<input type="text" id="card-expiry" inputmode="numeric" autocomplete="cc-exp" placeholder="12/30"></label>
        <label class="field">CVV<input type="text" id="card-cvv" inputmode="numeric" autocomplete="cc-csc" placeholder="100"></label>
      </div>
      <label class="field">Name on card<input type="text" id="card-name" autocomplete="cc-name" placeholder="Ada Lovelace"></label>
      <button class="pay" id="pay-card" type="submit">Pay</button>
      <p class="hint">Test cards: <button type="button" data-card="4242 4242 4242 4242">4242 4242 4242 4242</button> approves,
      <button type="button" data-card="4544 2491 6767 3670">4544 2491 6767 3670</button> declines (20051).
      Card data goes from this page straight to the tokenization endpoint, never to Bollard.</p>
    </form>
    <form id="link-form" hidden>
      <p class="hint">You will pay on Checkout.com's hosted page, then come back here.</p>
      <button class="pay" id="pay-link" type="submit">Pay by link</button>
    </form>
    <div id="outcome" role="status"></div>
    <p class="mode" id="mode"></p>
  </section>
</main>
</body>
</html>`;
}
