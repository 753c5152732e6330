import type { Links } from './common';

export type WorkflowCondition =
  | { type: 'event'; events: Record<string, string[]> }
  | { type: 'entity'; entities: string[] }
  | { type: 'processing_channel'; processing_channels: string[] };

export interface WebhookAction {
  type: 'webhook';
  url: string;
  headers?: Record<string, string>;
  /** The HMAC key Checkout.com signs deliveries with (`Cko-Signature`). A secret. */
  signature?: { method?: 'HMACSHA256'; key: string };
}

/** `POST /workflows` body (facts §4.11). */
export interface WorkflowRequest {
  name: string;
  active?: boolean;
  conditions: WorkflowCondition[];
  actions: WebhookAction[];
}

export interface WorkflowCreated {
  id: string;
  _links?: Links;
}

/** An item of `GET /workflows` (the list omits actions). */
export interface WorkflowSummary {
  id: string;
  name: string;
  active?: boolean;
  _links?: Links;
}

export interface WorkflowList {
  data: WorkflowSummary[];
}

/** `GET /workflows/{id}`. */
export interface Workflow {
  id: string;
  name: string;
  active: boolean;
  conditions: Array<WorkflowCondition & { id?: string }>;
  actions: Array<WebhookAction & { id?: string }>;
  _links?: Links;
}

export interface WorkflowUpdate {
  name: string;
  active?: boolean;
}
