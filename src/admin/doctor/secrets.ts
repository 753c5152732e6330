import { authMode, isDevelopment, listVar } from './env-vars';
import { type DoctorCheck, fail, pass } from './types';

/** HS256 keys shorter than this are refused by the storefront (src/storefront/order-token.ts). */
const MIN_ORDER_TOKEN_KEY_BYTES = 32;

/**
 * `ADMIN_TOKEN` must carry 32 random bytes outside development, as `openssl rand -base64 32` (44 characters)
 * or `openssl rand -hex 32` (64) make. The doctor sees only the text, so it counts what that text can hold
 * at most: 4 bits a character when every one is a hex digit (log2 10 when a decimal one), else 6 (base64 and
 * base64url; any other character set is given as much) — at least 43 base64url or 64 hex characters. It
 * cannot tell a random token from a chosen one of that length: generate it.
 */
const MIN_ADMIN_TOKEN_BITS = 256;

function adminTokenBits(token: string): number {
  const perCharacter = /^[0-9]+$/.test(token) ? Math.log2(10) : /^[0-9a-f]+$/i.test(token) ? 4 : 6;
  return Math.floor(token.length * perCharacter);
}

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
  const adminBits = env.ADMIN_TOKEN ? adminTokenBits(env.ADMIN_TOKEN) : 0;
  const weakAdminToken = !!env.ADMIN_TOKEN && adminBits < MIN_ADMIN_TOKEN_BITS && !isDevelopment(env);
  if (weakAdminToken)
    f.malformed.push(
      `ADMIN_TOKEN is too short to be 32 random bytes (${env.ADMIN_TOKEN.length} characters, at most ${adminBits} bits)`,
    );
  else need('ADMIN_TOKEN', env.ADMIN_TOKEN);
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
  if (weakAdminToken)
    fixes.push(
      'openssl rand -base64 32 | wrangler secret put ADMIN_TOKEN (this also ends every console session)',
    );
  if (f.malformed.some((m) => !m.startsWith('CHECKOUT_AUTH') && !m.startsWith('ADMIN_TOKEN')))
    fixes.push('put the right kind of key (wrangler secret put; CHECKOUT_PUBLIC_KEY is a [vars] entry)');
  return fail(
    'secrets',
    `${modeText} mode; ${problems.join('; ')}`,
    `${fixes.join('; ')} (locally: .dev.vars)`,
  );
}
