import { createApp } from '../../src/app';
import { withDoMeter } from '../../src/http/do-meter';
import { archiveOnSchedule } from '../../src/operator/scheduled';

export { AgentDirectory, AgentObject, AuditIndex } from '../../src/agents';
export { Approvers } from '../../src/approvers/approvers-do';
export { OAuthTokenRefresher } from '../../src/oauth/refresher-do';
export { RateGovernor } from '../../src/ratelimit/governor-do';
export { StorefrontGuard } from '../../src/storefront/guard-do';
export { WebhookInbox } from '../../src/webhooks/inbox-do';

const app = createApp();

// With DO_METER=on (benchmarks), answers carry their Durable Object round trips; otherwise a pass-through.
export default {
  fetch: withDoMeter<Env>(app.fetch),
  // The audit archive run (Cron Trigger, hourly): src/agents/proof/archive-writer.ts.
  scheduled: archiveOnSchedule,
} satisfies ExportedHandler<Env>;
