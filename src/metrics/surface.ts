/** Which part of Bollard a request is for: the first field of every data point, and its sampling index. */
export type MetricsSurface = 'storefront' | 'webhooks' | 'agents' | 'admin' | 'demo' | 'other';

export const SURFACES: readonly MetricsSurface[] = [
  'storefront',
  'webhooks',
  'agents',
  'admin',
  'demo',
  'other',
];

/** By path prefix, the way `src/app.ts` mounts the areas. */
export function surfaceOf(path: string): MetricsSurface {
  if (path.startsWith('/webhooks/')) return 'webhooks';
  if (path === '/agent' || path.startsWith('/agent/')) return 'agents';
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  // The demo's event feed lives under /v1 but belongs to the demo page.
  if (path === '/v1/events/recent') return 'demo';
  if (path.startsWith('/v1/') || path === '/openapi.json') return 'storefront';
  if (path === '/' || path.startsWith('/demo/') || path === '/demo') return 'demo';
  return 'other';
}
