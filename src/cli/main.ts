import { parseArgs, UsageError } from './args';
import { CATALOG_USAGE, catalogCommand } from './catalog-command';
import { DOCTOR_USAGE, doctorCommand } from './doctor-command';
import { TRIGGER_USAGE, triggerCommand } from './trigger-command';
import { WEBHOOKS_USAGE, webhooksCommand } from './webhooks-command';

export type Command = (
  args: ReturnType<typeof parseArgs>,
  out: (s: string) => void,
) => number | Promise<number>;

/** Subcommands; each area registers its own here. */
const COMMANDS: Record<string, { usage: string; run: Command }> = {
  catalog: { usage: CATALOG_USAGE, run: catalogCommand },
  doctor: { usage: DOCTOR_USAGE, run: (args, out) => doctorCommand(args, out) },
  trigger: { usage: TRIGGER_USAGE, run: triggerCommand },
  webhooks: { usage: WEBHOOKS_USAGE, run: (args, out) => webhooksCommand(args, out) },
};

function usage(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

export async function main(argv: readonly string[], out = (s: string) => console.log(s)): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(name ? `unknown command "${name}"\n${usage()}` : usage());
    return 2;
  }
  try {
    return await command.run(parseArgs(rest), out);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n  ${command.usage}`);
      return 2;
    }
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}
