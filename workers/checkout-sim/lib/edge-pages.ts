/**
 * What an edge proxy in front of an API answers when its origin fails: an HTML page, not the API's JSON
 * error body. Modelled on Cloudflare's own pages, so a client learns to handle a 5xx it cannot parse.
 */
const TITLES: Record<number, string> = {
  502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable',
  504: '504 Gateway Time-out',
};

export function isEdgeStatus(status: number): boolean {
  return status in TITLES;
}

export function edgeErrorPage(status: number): string {
  const title = TITLES[status] ?? `${status} Error`;
  return `<html>
<head><title>${title}</title></head>
<body>
<center><h1>${title}</h1></center>
<hr><center>cloudflare</center>
</body>
</html>
`;
}
