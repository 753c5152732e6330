/** One row of the report, as `GET /admin/doctor` answers it (and as the CLI's own checks produce it). */
export interface DoctorRow {
  check: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
  fix: string | null;
}

export function resultOf(row: DoctorRow): 'PASS' | 'FAIL' | 'SKIP' {
  return !row.ok ? 'FAIL' : row.skipped ? 'SKIP' : 'PASS';
}

/** Word-wraps `text` to `width` columns; a word longer than the width is cut. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > w) {
      if (line) lines.push(line);
      lines.push(word.slice(0, w));
      word = word.slice(w);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= w) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * The report as an aligned table: CHECK, RESULT, DETAIL (wrapped to fit `width` columns), and under a
 * failed row its fix, so each problem is followed by what to do about it.
 */
export function renderDoctorTable(rows: readonly DoctorRow[], width = 100): string {
  const checkWidth = Math.max('CHECK'.length, ...rows.map((r) => r.check.length));
  const resultWidth = 'RESULT'.length;
  const indent = checkWidth + 2 + resultWidth + 2;
  const detailWidth = Math.max(30, width - indent);
  const out = [`${'CHECK'.padEnd(checkWidth)}  ${'RESULT'.padEnd(resultWidth)}  DETAIL`];
  for (const row of rows) {
    const [first = '', ...rest] = wrap(row.detail, detailWidth);
    out.push(`${row.check.padEnd(checkWidth)}  ${resultOf(row).padEnd(resultWidth)}  ${first}`.trimEnd());
    for (const l of rest) out.push(`${' '.repeat(indent)}${l}`);
    if (!row.ok && row.fix) {
      for (const [i, l] of wrap(`fix: ${row.fix}`, detailWidth).entries()) {
        out.push(`${' '.repeat(indent)}${i === 0 ? '' : '     '}${l}`);
      }
    }
  }
  const failed = rows.filter((r) => !r.ok).length;
  const skipped = rows.filter((r) => r.ok && r.skipped).length;
  const passed = rows.length - failed - skipped;
  out.push(
    '',
    `${rows.length} checks: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}.`,
  );
  return out.join('\n');
}
