/// <reference types="vite/client" />
// The types of import.meta.glob, with which Vite hands this test the sources of src/ as text.
import { describe, expect, it } from 'vitest';

/**
 * No cycle between the folders of src/: each area (`http`, `checkout`, `oauth`, `operator`, …) may import
 * another only if that one does not import it back, directly or through others. `http/` then depends on
 * nothing above it, and any area can be read, tested and moved with only what is below it. Type-only
 * imports count too: they are dependencies of the design, if not of the bundle.
 *
 * A lint rule cannot say this: Biome's `noRestrictedImports` forbids named imports per folder, so it would
 * need the whole layering written out by hand, and a new folder would start with no rule at all. This
 * reads every source file (Vite bundles them into the test as text) and looks for cycles in the graph of
 * top-level folders; the files in src/ itself (`app.ts`, which wires every area) form one more node.
 */
const SOURCES = import.meta.glob<string>('../src/**/*.{ts,mjs}', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** Relative specifiers of static imports and exports, `import('…')` and side-effect imports. */
const SPECIFIER =
  /\bfrom\s*['"](\.{1,2}\/[^'"]*)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)|\bimport\s+['"](\.{1,2}\/[^'"]*)['"]/g;

/** `../src/agents/x.ts` → `src/agents/x.ts`; `.` and `..` segments resolved. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** Folder → folder → the imports that make that edge (`file → specifier`). */
function folderGraph(sources: Record<string, string>): Map<string, Map<string, string[]>> {
  const paths = Object.keys(sources).map(normalize);
  const folders = new Set(paths.map((p) => p.split('/')).flatMap((p) => (p.length > 2 ? [p[1]] : [])));
  // The node of a path: its top-level folder under src/, or `src` for a file directly in it.
  const nodeOf = (path: string): string | null => {
    const [root, first, ...rest] = normalize(path).split('/');
    if (root !== 'src' || first === undefined) return null;
    return rest.length > 0 || folders.has(first) ? first : 'src';
  };
  const graph = new Map<string, Map<string, string[]>>();
  for (const [file, text] of Object.entries(sources)) {
    const from = nodeOf(file);
    if (from === null) continue;
    const dir = file.slice(0, file.lastIndexOf('/'));
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      const to = nodeOf(`${dir}/${spec}`);
      if (to === null || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), `${normalize(file)} → ${spec}`]);
    }
  }
  return graph;
}

/** Each cycle once (its shortest ring from the first folder on it), with one import per edge as a witness. */
function folderCycles(graph: Map<string, Map<string, string[]>>): string[] {
  const found = new Set<string>();
  const cycles: string[] = [];
  for (const start of [...graph.keys()].sort()) {
    // Breadth-first from `start`: the shortest way back to it, if any.
    const previous = new Map<string, string>();
    const queue = [start];
    let closing: string | null = null;
    while (queue.length > 0 && closing === null) {
      const at = queue.shift() ?? start;
      for (const next of [...(graph.get(at)?.keys() ?? [])].sort()) {
        if (next === start) {
          closing = at;
          break;
        }
        if (!previous.has(next)) {
          previous.set(next, at);
          queue.push(next);
        }
      }
    }
    if (closing === null) continue;
    const path = [closing];
    while (path[0] !== start) path.unshift(previous.get(path[0] ?? start) ?? start);
    const ring = [...path, start];
    const key = [...path].sort().join(',');
    if (found.has(key)) continue;
    found.add(key);
    const witnesses = ring
      .slice(0, -1)
      .map((from, i) => `  ${from} → ${ring[i + 1]}: ${graph.get(from)?.get(ring[i + 1] ?? '')?.[0] ?? ''}`);
    cycles.push([ring.join(' → '), ...witnesses].join('\n'));
  }
  return cycles;
}

describe('the folders of src/', () => {
  it('import each other without a cycle', () => {
    const graph = folderGraph(SOURCES);
    // The reader found the tree: every area, and the edges everyone relies on.
    expect(Object.keys(SOURCES).length).toBeGreaterThan(150);
    expect([...(graph.get('checkout')?.keys() ?? [])]).toContain('oauth');
    expect(folderCycles(graph)).toEqual([]);
  });

  it('are read well enough to catch a cycle, through a third folder too', () => {
    const graph = folderGraph({
      '../src/http/a.ts': "import { b } from '../console/b';",
      '../src/console/b.ts': "export { c } from '../operator/auth/c';",
      '../src/operator/auth/c.ts': "const d = await import('../../http');",
      '../src/operator/x.ts': "import type { Y } from './y';",
    });
    expect(folderCycles(graph)).toEqual([
      [
        'console → operator → http → console',
        '  console → operator: src/console/b.ts → ../operator/auth/c',
        '  operator → http: src/operator/auth/c.ts → ../../http',
        '  http → console: src/http/a.ts → ../console/b',
      ].join('\n'),
    ]);
  });
});
