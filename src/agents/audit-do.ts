import { DurableObject } from 'cloudflare:workers';

/** The hash-chained audit log (issue: agent gateway). */
export class AuditLog extends DurableObject<Env> {}
