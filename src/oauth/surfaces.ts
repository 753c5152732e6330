import { CATALOG, type CatalogEntry, listEntries } from '../catalog';

/** Bollard's surfaces that call Checkout.com (the same names `checkoutClientFor` takes). */
export type OAuthSurface = 'storefront' | 'webhooks' | 'agents' | 'admin';

/**
 * The catalog rows each surface may call, which decide the scopes of its OAuth token (least privilege:
 * a storefront token cannot refund). The storefront creates payment sessions and links and reads
 * payments back; webhook handlers only read the payment or dispute an event names; the agent gateway and
 * the operators' tools may reach any row (narrow the agents' token to the active grants with the
 * `oauthScopes` extra of `checkoutClientFor`).
 */
export function entriesForSurface(surface: OAuthSurface): CatalogEntry[] {
  switch (surface) {
    case 'storefront':
      return [
        ...listEntries({ area: 'sessions-links' }),
        ...listEntries({ area: 'payments', access: 'read' }),
      ];
    case 'webhooks':
      return [
        ...listEntries({ area: 'payments', access: 'read' }),
        ...listEntries({ area: 'disputes', access: 'read' }),
      ];
    case 'agents':
    case 'admin':
      return [...CATALOG];
  }
}
