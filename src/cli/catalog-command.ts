import { AREAS, type CatalogEntry, isArea, listEntries } from '../catalog';
import { checkFlags, type ParsedArgs, stringFlag, UsageError } from './args';

export const CATALOG_USAGE =
  'bollard catalog [--area A] [--access read|write] [--scope S] [--method M] [--search TEXT] [--json]';

export interface CatalogRow {
  name: string;
  method: string;
  path: string;
  area: string;
  access: string;
  scope: string;
  event: string | null;
  moves_money: boolean;
  description: string;
}

export function toRow(e: CatalogEntry): CatalogRow {
  return {
    name: e.name,
    method: e.method,
    path: e.path,
    area: e.area,
    access: e.access,
    scope: e.permission.kind === 'scope' ? e.permission.scope : 'not stated',
    event: e.event,
    moves_money: e.movesMoney,
    description: e.description,
  };
}

/** Renders rows as an aligned plain-text table. */
export function formatTable(rows: readonly CatalogRow[]): string {
  const columns: Array<[string, (r: CatalogRow) => string]> = [
    ['METHOD', (r) => r.method],
    ['PATH', (r) => r.path],
    ['AREA', (r) => r.area],
    ['ACCESS', (r) => r.access],
    ['SCOPE', (r) => r.scope],
    ['EVENT', (r) => r.event ?? '-'],
    ['DESCRIPTION', (r) => r.description],
  ];
  const widths = columns.map(([h, f]) => Math.max(h.length, ...rows.map((r) => f(r).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([h]) => h)), ...rows.map((r) => line(columns.map(([, f]) => f(r))))].join('\n');
}

export function catalogCommand(args: ParsedArgs, out: (s: string) => void): number {
  checkFlags(args, ['area', 'access', 'scope', 'method', 'search'], ['json']);
  const area = stringFlag(args, 'area');
  if (area !== undefined && !isArea(area)) {
    throw new UsageError(`unknown area "${area}"; one of: ${AREAS.map((a) => a.id).join(', ')}`);
  }
  const access = stringFlag(args, 'access');
  if (access !== undefined && access !== 'read' && access !== 'write') {
    throw new UsageError('--access must be read or write');
  }
  const rows = listEntries({
    area: area !== undefined && isArea(area) ? area : undefined,
    access,
    scope: stringFlag(args, 'scope'),
    method: stringFlag(args, 'method'),
    search: stringFlag(args, 'search'),
  }).map(toRow);
  if (args.flags.has('json')) out(JSON.stringify(rows, null, 2));
  else
    out(rows.length === 0 ? 'no matching methods' : `${formatTable(rows)}\n\n${rows.length} of 32 methods`);
  return 0;
}
