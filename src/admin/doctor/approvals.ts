import { isDevelopment, isLoopbackHost } from './env-vars';
import { type DoctorCheck, fail, pass } from './types';

/**
 * Approvals' settings (docs/agents.md, "Approvals"): the dev bearer approval (`APPROVALS_ALLOW_ADMIN_TOKEN`)
 * is refused outside development, where an admin token alone must never approve an agent's call; so is
 * the break-glass `APPROVERS_OPEN_ENROLLMENT` left on after its repair (docs/operations.md); and a
 * notification URL needs its signing secret (and https, outside development). Names and states only.
 */
export function approvalsCheck(env: Env): DoctorCheck {
  const problems: string[] = [];
  const fixes: string[] = [];
  const dev = isDevelopment(env);
  if (env.APPROVALS_ALLOW_ADMIN_TOKEN === 'true' && !dev) {
    problems.push('APPROVALS_ALLOW_ADMIN_TOKEN=true outside development lets an admin token alone approve');
    fixes.push('remove APPROVALS_ALLOW_ADMIN_TOKEN (approvers approve with their passkeys)');
  }
  if (env.APPROVERS_OPEN_ENROLLMENT === 'true' && !dev) {
    problems.push(
      'APPROVERS_OPEN_ENROLLMENT=true outside development lets an admin token alone add and remove approvers',
    );
    fixes.push('register the approvers again, then remove APPROVERS_OPEN_ENROLLMENT (break-glass only)');
  }
  const url = env.APPROVAL_NOTIFY_URL;
  if (url) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      problems.push('APPROVAL_NOTIFY_URL is not a URL');
      fixes.push('set APPROVAL_NOTIFY_URL to the https endpoint that takes the notifications');
    }
    if (parsed && parsed.protocol !== 'https:' && !(dev && isLoopbackHost(parsed.hostname))) {
      problems.push('APPROVAL_NOTIFY_URL is not https');
      fixes.push('use an https APPROVAL_NOTIFY_URL');
    }
    if (!env.APPROVAL_NOTIFY_SECRET) {
      problems.push('APPROVAL_NOTIFY_URL is set without APPROVAL_NOTIFY_SECRET (nothing is sent unsigned)');
      fixes.push('wrangler secret put APPROVAL_NOTIFY_SECRET');
    }
  }
  if (problems.length) return fail('approvals', problems.join('; '), fixes.join('; '));
  const approving =
    env.APPROVALS_ALLOW_ADMIN_TOKEN === 'true'
      ? 'passkeys, and the admin token as approver "dev" (development)'
      : 'passkeys only';
  return pass('approvals', `approvers: ${approving}; notifications: ${url ? 'signed, on' : 'off'}`);
}
