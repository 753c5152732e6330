/**
 * `tsx bench/window-model.ts [limit] [maxWaitMs]`: what Poisson traffic costs at a count limit, in the
 * governor's model (docs/rate-governor.md): `limit` permits, each reused a window (1000 / 0.97 ms, or the
 * spare call a second at small limits) after its last use; a call takes the permit that frees first,
 * waits if it frees within `maxWaitMs`, and is refused otherwise. One isolate, no round trips: the floor
 * of any admission that keeps every window at or under the limit. Prints refused share and waits.
 */
const limit = Number(process.argv[2] ?? 40);
const maxWaitMs = Number(process.argv[3] ?? 200);
const base = limit >= 2 ? Math.min(limit * 0.97, limit - 1) : limit * 0.97;
const permits = Math.max(1, Math.floor(limit));
const windowMs = (1000 * permits) / base;

function run(load: number, seconds = 4_000): Record<string, number> {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const freeAt: number[] = Array.from({ length: permits }, () => 0);
  const waits: number[] = [];
  let refused = 0;
  for (let t = 0; t < seconds * 1000; ) {
    t += (-Math.log(1 - random()) * 1000) / (limit * load);
    let best = 0;
    for (let i = 1; i < permits; i++) if ((freeAt[i] as number) < (freeAt[best] as number)) best = i;
    const at = Math.max(t, freeAt[best] as number);
    if (at - t > maxWaitMs) {
      refused++;
      continue;
    }
    freeAt[best] = at + windowMs;
    waits.push(at - t);
  }
  waits.sort((a, b) => a - b);
  const q = (p: number) => Math.round(waits[Math.floor(p * (waits.length - 1))] as number);
  return {
    'refused %': Math.round((10_000 * refused) / (refused + waits.length)) / 100,
    'waited %': Math.round((1000 * waits.filter((w) => w > 0).length) / waits.length) / 10,
    'p50 wait ms': q(0.5),
    'p99 wait ms': q(0.99),
  };
}

console.log(`limit ${limit}/s, window ${windowMs.toFixed(1)} ms, wait bound ${maxWaitMs} ms`);
for (const load of [0.5, 0.8, 0.95, 1.2]) console.log(`${Math.round(load * 100)}%`, run(load));
