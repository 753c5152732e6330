/** Minimal HTML for the simulator's hosted pages: plain forms, no scripts, nothing external. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
label{display:block;margin:.6rem 0 .2rem}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
.row{display:flex;gap:.5rem}.row>div{flex:1}button{font:inherit;padding:.5rem 1rem;margin:.8rem .4rem 0 0}
.amount{font-size:1.6rem;font-weight:600}.error{color:#b00020}.note{color:#57606a;font-size:.85rem}</style>
</head><body><p class="note">Checkout.com simulator — not a real payment page.</p>
${body}
</body></html>`;
}

/** Minor units to a display amount (two decimals; good enough for a simulator page). */
export function formatAmount(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${escapeHtml(currency)}`;
}
