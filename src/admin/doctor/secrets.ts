import { authMode, listVar } from './env-vars';
import { type DoctorCheck, fail, pass } from './types';

/** HS256 keys shorter than this are refused by the storefront (src/storefront/order-token.ts). */
const MIN_ORDER_TOKEN_KEY_BYTES = 32;

interface Finding {
  present: string[];
  missing: string[];
  malformed: string[];
}

/** Settings that are `[vars]` in wrangler.toml rather than secrets. */
const VARS: ReadonlySet<string> = new Set(['CHECKOUT_OAUTH_CLIENT_ID', 'CHECKOUT_PUBLIC_KEY']);

function put(name: string): string {
  return VARS.has(name) ? `set ${name} in wrangler.toml [vars]` : `wrangler secret put ${name}`;
}

/**
 * The secrets the configured auth mode and surfaces need are set, and the keys have the right shape.
 * Reports names only: a value is looked at for its prefix or length, never echoed.
 */
export function secretsCheck(env: Env): DoctorCheck {
  const f: Finding = { present: [], missing: [], malformed: [] };
  const mode = authMode(env);
  const need = (name: string, value: string | undefined, shape?: { prefix: string; what: string }) => {
    if (!value) f.missing.push(name);
    else if (shape && !value.startsWith(shape.prefix)) f.malformed.push(`${name} is not ${shape.what}`);
    else f.present.push(shape ? `${name} (${shape.prefix})` : name);
  };

  if (mode === null) f.malformed.push('CHECKOUT_AUTH is neither "secret_key" nor "oauth"');
  if (mode === 'secret_key') {
    need('CHECKOUT_SECRET_KEY', env.CHECKOUT_SECRET_KEY, { prefix: 'sk_', what: 'a secret key (sk_...)' });
    if (env.CHECKOUT_STOREFRONT_SECRET_KEY) {
      need('CHECKOUT_STOREFRONT_SECRET_KEY', env.CHECKOUT_STOREFRONT_SECRET_KEY, {
        prefix: 'sk_',
        what: 'a secret key (sk_...)',
      });
    }
  }
  if (mode === 'oauth') {
    need('CHECKOUT_OAUTH_CLIENT_ID', env.CHECKOUT_OAUTH_CLIENT_ID);
    need('CHECKOUT_OAUTH_CLIENT_SECRET', env.CHECKOUT_OAUTH_CLIENT_SECRET);
  }
  need('ADMIN_TOKEN', env.ADMIN_TOKEN);
  const signingKeys = listVar(env.WEBHOOK_SIGNING_KEYS).length;
  if (signingKeys === 0) f.missing.push('WEBHOOK_SIGNING_KEYS');
  else f.present.push(`WEBHOOK_SIGNING_KEYS (${signingKeys} key${signingKeys === 1 ? '' : 's'})`);

  const orderMode = (env.STOREFRONT_ORDER_MODE || 'signed').trim();
  if (orderMode === 'signed') {
    const publicKey = env.ORDER_TOKEN_PUBLIC_KEY;
    if (publicKey) f.present.push('ORDER_TOKEN_PUBLIC_KEY (signed orders)');
    else if (!env.ORDER_TOKEN_KEY) f.missing.push('ORDER_TOKEN_KEY (STOREFRONT_ORDER_MODE is signed)');
    else if (new TextEncoder().encode(env.ORDER_TOKEN_KEY).length < MIN_ORDER_TOKEN_KEY_BYTES)
      f.malformed.push(`ORDER_TOKEN_KEY is shorter than ${MIN_ORDER_TOKEN_KEY_BYTES} bytes`);
    else f.present.push('ORDER_TOKEN_KEY (signed orders)');
  }

  // The public key is handed to browsers; a secret key pasted here would be published by /v1/config.
  if (env.CHECKOUT_PUBLIC_KEY) {
    need('CHECKOUT_PUBLIC_KEY', env.CHECKOUT_PUBLIC_KEY, { prefix: 'pk_', what: 'a public key (pk_...)' });
  } else if (env.DEMO_ENABLED === 'true') {
    f.missing.push('CHECKOUT_PUBLIC_KEY (the demo shop tokenizes cards)');
  }

  const modeText = mode ?? `invalid CHECKOUT_AUTH`;
  if (f.missing.length === 0 && f.malformed.length === 0) {
    return pass('secrets', `${modeText} mode; set: ${f.present.join(', ')}`);
  }
  const problems = [
    ...(f.missing.length > 0 ? [`missing: ${f.missing.join(', ')}`] : []),
    ...(f.malformed.length > 0 ? [`wrong: ${f.malformed.join('; ')}`] : []),
  ];
  const fixes = f.missing.map((m) => put(m.split(' ')[0] ?? m));
  if (mode === null) fixes.push('set CHECKOUT_AUTH to "secret_key" or "oauth" in wrangler.toml [vars]');
  if (f.malformed.some((m) => !m.startsWith('CHECKOUT_AUTH')))
    fixes.push('put the right kind of key (wrangler secret put; CHECKOUT_PUBLIC_KEY is a [vars] entry)');
  return fail(
    'secrets',
    `${modeText} mode; ${problems.join('; ')}`,
    `${fixes.join('; ')} (locally: .dev.vars)`,
  );
}
