import { Hono } from 'hono';
import { isObject, iso, jsonBody } from '../lib/body';
import { parseCard, summarizeCard } from '../lib/cards';
import type { SimHonoEnv } from '../lib/context';
import { invalid } from '../lib/errors';
import { newId } from '../lib/ids';
import { storeToken } from './tokens-store';

/** `POST /tokens`: card tokenization with the public key (CORS is applied in `app.ts`). */
export const tokensRoutes = new Hono<SimHonoEnv>();

tokensRoutes.post('/tokens', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  if (body.type !== 'card')
    return invalid(c, body.type === undefined ? 'token_type_required' : 'token_type_invalid');
  const card = parseCard(body, sim.now());
  const billing = body.billing_address;
  const codes = Array.isArray(card) ? card : [];
  if (billing !== undefined && !isObject(billing)) codes.push('billing_address_invalid');
  if (Array.isArray(card) || codes.length > 0) return invalid(c, ...codes);
  const token = newId('tok');
  const expiresAt = storeToken(sim.sql, token, card, billing, sim.now());
  const summary = summarizeCard(card.number, card.expiry_month, card.expiry_year, card.name);
  const { fingerprint: _omit, ...shown } = summary;
  return c.json(
    {
      type: 'card',
      token,
      expires_on: iso(expiresAt),
      ...shown,
      ...(billing !== undefined ? { billing_address: billing } : {}),
      ...(isObject(body.phone) ? { phone: body.phone } : {}),
    },
    201,
  );
});
