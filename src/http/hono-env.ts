import type { Logger } from './log';

/** Hono generics shared by every Bollard route: the Worker bindings and per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    /**
     * The calling agent (`agt_…`), once the agent gateway has identified it: `c.set('agentId', id)`. The
     * metrics middleware (src/metrics) records it with the request; nothing else reads it.
     */
    agentId?: string;
    /**
     * The route template that answered inside the lazily loaded operator module (src/operator), which
     * has its own router: the metrics middleware records it in place of the dispatching `/admin/*`.
     */
    route?: string;
    /**
     * Which admin credential authenticated an operator request (set by the operator module's admin auth):
     * approvals read it, since an admin token alone may approve only where a dev setting allows it.
     */
    adminVia?: 'token' | 'session' | 'access';
  };
}
