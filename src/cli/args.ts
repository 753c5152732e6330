/** Minimal `--flag value` / `--flag=value` / `--switch` parsing; unknown flags are reported, not ignored. */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq !== -1) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(arg.slice(2), next);
      i++;
    } else {
      flags.set(arg.slice(2), true);
    }
  }
  return { positionals, flags };
}

export class UsageError extends Error {}

/** Reads a string flag, refusing flags the command does not know. */
export function checkFlags(
  args: ParsedArgs,
  known: readonly string[],
  switches: readonly string[] = [],
): void {
  for (const [name, value] of args.flags) {
    if (switches.includes(name)) {
      if (value !== true) throw new UsageError(`--${name} takes no value`);
    } else if (!known.includes(name)) {
      throw new UsageError(`unknown option --${name}`);
    } else if (value === true) {
      throw new UsageError(`--${name} needs a value`);
    }
  }
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
