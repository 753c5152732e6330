import { Hono } from 'hono';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { available, currenciesOf } from './balances-store';
import { ENTITY_ID } from './transfers';

/** `GET /balances/{entity_id}?query=currency:EUR` (facts §4.10). */
export const balancesRoutes = new Hono<SimHonoEnv>();

balancesRoutes.get('/balances/:id', (c) => {
  const sim = c.var.sim;
  const entity = c.req.param('id');
  if (!ENTITY_ID.test(entity)) return notFound(c);
  const query = c.req.query('query');
  let currencies: string[];
  if (query !== undefined) {
    const match = /^currency:([A-Z]{3})$/.exec(query.trim());
    if (!match) return invalid(c, 'query_invalid');
    currencies = [match[1] as string];
  } else {
    currencies = currenciesOf(sim.sql, entity);
  }
  return c.json({
    data: currencies.map((currency) => ({
      descriptor: `Simulator ${currency} balance`,
      holding_currency: currency,
      balances: { pending: 0, available: available(sim.sql, entity, currency), payable: 0, collateral: 0 },
    })),
  });
});
