import { EVENTS } from '../catalog';
import { DEV_CREDENTIALS } from '../dev/credentials';
import { checkFlags, type ParsedArgs, stringFlag, UsageError } from './args';

export const TRIGGER_USAGE =
  'bollard trigger <event_type> [--sim http://127.0.0.1:8788] [--admin-key KEY] [--json]';

const EVENT_TYPES = EVENTS.map((e) => e.type);

interface TriggerAnswer {
  type: string;
  payment_id: string;
  dispute_id?: string;
  events: { id: string; type: string }[];
}

function isTriggerAnswer(v: unknown): v is TriggerAnswer {
  return typeof v === 'object' && v !== null && Array.isArray((v as TriggerAnswer).events);
}

/**
 * `bollard trigger <event_type>`: makes the simulator emit a realistic event (creating the payment or
 * dispute it is about), as `stripe trigger` does. The simulator then delivers it to every matching
 * workflow — with `npm start`, to Bollard's webhook receiver.
 */
export async function triggerCommand(args: ParsedArgs, out: (s: string) => void): Promise<number> {
  checkFlags(args, ['sim', 'admin-key'], ['json']);
  const [type, ...extra] = args.positionals;
  if (type === undefined || extra.length > 0) {
    throw new UsageError(`give one event type; one of: ${EVENT_TYPES.join(', ')}`);
  }
  if (!(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`unknown event type "${type}"; one of: ${EVENT_TYPES.join(', ')}`);
  }
  const sim = (stringFlag(args, 'sim') ?? process.env.CHECKOUT_SIM_URL ?? 'http://127.0.0.1:8788').replace(
    /\/+$/,
    '',
  );
  const adminKey = stringFlag(args, 'admin-key') ?? process.env.SIM_ADMIN_KEY ?? DEV_CREDENTIALS.simAdminKey;
  let res: Response;
  try {
    res = await fetch(`${sim}/_sim/trigger`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type }),
    });
  } catch {
    throw new Error(`cannot reach the simulator at ${sim} (start it with \`npm run sim\` or \`npm start\`)`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.status !== 201 || !isTriggerAnswer(body)) {
    const codes =
      typeof body === 'object' &&
      body !== null &&
      Array.isArray((body as { error_codes?: unknown }).error_codes)
        ? ` (${(body as { error_codes: string[] }).error_codes.join(', ')})`
        : '';
    throw new Error(`the simulator answered ${res.status}${codes}`);
  }
  if (args.flags.has('json')) {
    out(JSON.stringify(body, null, 2));
    return 0;
  }
  out(
    `Triggered ${type}: payment ${body.payment_id}${body.dispute_id ? `, dispute ${body.dispute_id}` : ''}`,
  );
  for (const e of body.events) out(`  ${e.type.padEnd(26)} ${e.id}`);
  return 0;
}
