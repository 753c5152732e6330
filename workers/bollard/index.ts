import { createApp } from '../../src/app';

export { AuditLog } from '../../src/agents/audit-do';
export { AgentRegistry } from '../../src/agents/registry-do';
export { OAuthTokenRefresher } from '../../src/oauth/refresher-do';
export { RateGovernor } from '../../src/ratelimit/governor-do';
export { StorefrontGuard } from '../../src/storefront/guard-do';
export { WebhookInbox } from '../../src/webhooks/inbox-do';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
