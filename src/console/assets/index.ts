import { AGENTS_JS } from './agents';
import { APP_JS } from './app';
import { APPROVALS_JS } from './approvals';
import { APPROVERS_JS } from './approvers';
import { AUDIT_JS } from './audit';
import { EVENTS_JS } from './events';
import { HEALTH_JS } from './health';
import { LIB_JS } from './lib';
import { PASSKEYS_JS } from './passkeys';
import { CONSOLE_CSS } from './style';

const JS = 'text/javascript; charset=utf-8';

/**
 * The console's static files, served at `/admin/console/<name>`. Loaded with a dynamic `import()` by
 * the route, so a Worker isolate that never serves the console never evaluates them. A null-prototype
 * object: a name like `__proto__` or `constructor` finds no file, not one of `Object.prototype`'s members
 * (which the route would try to serve: a 500).
 */
export const CONSOLE_ASSETS: Readonly<Record<string, { type: string; body: string }>> = Object.assign(
  Object.create(null),
  {
    'app.js': { type: JS, body: APP_JS },
    'lib.js': { type: JS, body: LIB_JS },
    'agents.js': { type: JS, body: AGENTS_JS },
    'approvals.js': { type: JS, body: APPROVALS_JS },
    'approvers.js': { type: JS, body: APPROVERS_JS },
    'passkeys.js': { type: JS, body: PASSKEYS_JS },
    'audit.js': { type: JS, body: AUDIT_JS },
    'events.js': { type: JS, body: EVENTS_JS },
    'health.js': { type: JS, body: HEALTH_JS },
    'console.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS },
  },
);
