/**
 * The console's one HTML document: a static shell. It carries no data and no inline script or style
 * (the CSP forbids both); `app.js` signs in, routes (`#/agents`, `#/approvals`, `#/audit`, `#/events`, …) and renders
 * every view from the admin API.
 */
export function consolePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bollard console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/console/console.css">
<script type="module" src="/admin/console/app.js"></script>
</head>
<body>
<a class="skip" href="#main" id="skip">Skip to content</a>
<header class="top">
  <span class="brand">Bollard console</span>
  <nav aria-label="Console sections" id="nav" hidden>
    <ul>
      <li><a href="#/agents">Agents</a></li>
      <li><a href="#/approvals">Approvals</a></li>
      <li><a href="#/approvers">Approvers</a></li>
      <li><a href="#/audit">Audit</a></li>
      <li><a href="#/events">Webhook inbox</a></li>
      <li><a href="#/dead-letters">Dead letters</a></li>
      <li><a href="#/quarantine">Quarantine</a></li>
      <li><a href="#/health">Health</a></li>
    </ul>
  </nav>
  <div id="who" class="who" hidden><span id="who-text"></span> <button type="button" id="sign-out">Sign out</button></div>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="announce" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>
`;
}
