/**
 * The events module's routes, mounted at `/` by the simulator app: workflows (CRUD, their actions and
 * conditions one by one, events, invocations, reflow),
 * disputes, and the `/_sim` control endpoints for disputes, triggers, deliveries and webhook faults.
 *
 * For sim-core: `GET /_sim/stats` merges `webhookStats(sql)` from `./deliveries-log` as `webhooks`;
 * `alarm()` calls `runDueDeliveries(sim)` from `./delivery`; the constructor calls `initEventsSchema`.
 */
import { Hono } from 'hono';
import type { SimHonoEnv } from '../lib/context';
import { controlRoutes } from './control-routes';
import { disputeRoutes } from './dispute-routes';
import { workflowPartRoutes } from './workflow-part-routes';
import { workflowRoutes } from './workflow-routes';

export const eventsRoutes = new Hono<SimHonoEnv>();
eventsRoutes.route('/', workflowPartRoutes);
eventsRoutes.route('/', workflowRoutes);
eventsRoutes.route('/', disputeRoutes);
eventsRoutes.route('/', controlRoutes);
