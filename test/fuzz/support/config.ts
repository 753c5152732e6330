import fc from 'fast-check';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `FUZZ_RUNS` (via `npm run fuzz -- --runs N`): runs per property; 0 means the CI default. */
    fuzzRuns: number;
    /** `FUZZ_SEED`: the seed of every property; 0 means the fixed CI seed. */
    fuzzSeed: number;
  }
}

/** The fixed seed CI runs with, so a failure there replays exactly (override: `npm run fuzz -- --seed S`). */
export const CI_SEED = 20_261_202;

/**
 * Runs per property and the seed. CI runs `ciRuns` (the suite stays well under a minute and a half on two
 * cores); `npm run fuzz -- --runs N` runs N per property, with `--seed S` for another sample of inputs.
 */
export function fuzzSettings(ciRuns: number): { numRuns: number; seed: number } {
  const runs = inject('fuzzRuns') ?? 0;
  const seed = inject('fuzzSeed') ?? 0;
  return { numRuns: runs > 0 ? runs : ciRuns, seed: seed !== 0 ? seed : CI_SEED };
}

/**
 * Options for `fc.assert`: the seed and run count, no shrinking past a bound (each run is a real request,
 * and a shrunk counterexample of one request is already small), and the failing request in the report.
 */
export function propertyOptions(
  ciRuns: number,
): Required<Pick<fc.Parameters<never>, 'numRuns' | 'seed' | 'endOnFailure' | 'verbose'>> {
  const { numRuns, seed } = fuzzSettings(ciRuns);
  return { numRuns, seed, endOnFailure: true, verbose: fc.VerbosityLevel.Verbose };
}

/** A test's timeout for a property of `ciRuns` runs: generous per request, scaled by the run count. */
export function timeoutFor(ciRuns: number, msPerRun = 400): number {
  return 30_000 + fuzzSettings(ciRuns).numRuns * msPerRun;
}
