import type { Logger } from './log';

/** Hono generics shared by every Bollard route: the Worker bindings and per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
  };
}
