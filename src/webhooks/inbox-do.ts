import { DurableObject } from 'cloudflare:workers';

/** The webhook event inbox (issue: webhooks). */
export class WebhookInbox extends DurableObject<Env> {}
