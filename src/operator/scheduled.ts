import { createLogger } from '../http/log';
import { loadOperatorModule } from './routes';

/**
 * The Cron Trigger (`[triggers] crons` in wrangler.toml, hourly): one audit archive run. The archive code is
 * in the operator module (loaded here on demand), so the hot paths' main module does not carry it.
 */
export async function archiveOnSchedule(
  controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const log = createLogger({ service: 'bollard', cron: controller.cron });
  const { runAuditArchive } = await loadOperatorModule();
  const report = await runAuditArchive(env, { trigger: 'cron', nowMs: Date.now });
  const fields = {
    ok: report.ok,
    reason: report.reason ?? null,
    chains: report.chains,
    ranges: report.ranges,
    entries: report.entries,
    more: report.more,
    problems: report.problems.slice(0, 20),
  };
  if (!report.ok || report.problems.length > 0) log.error('audit archive run', fields);
  else log.info('audit archive run', fields);
}
