import type { Logger } from '../http';
import type { AuditLog } from './audit-do';
import type { AuditInput } from './audit-record';

/** The one audit log instance: a single chain for the whole deployment. */
export function auditLog(env: Env): DurableObjectStub<AuditLog> {
  return env.AUDIT_LOG.getByName('global');
}

/**
 * Appends a record as part of the request (not `waitUntil`), so a call is never answered without its
 * record being durable. One retry covers a Durable Object reset between requests; a second failure is
 * logged (without the record's identifiers beyond the request id) and rethrown.
 */
export async function appendAudit(env: Env, input: AuditInput, log: Logger): Promise<void> {
  try {
    await auditLog(env).append(input);
  } catch (first) {
    log.warn('audit append failed, retrying', { error: first });
    await auditLog(env).append(input);
  }
}
