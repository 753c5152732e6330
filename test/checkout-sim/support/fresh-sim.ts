import { beforeAll } from 'vitest';
import { resetSim } from '../helpers';

/**
 * Runs before each file of the `checkout-sim` project: its files share one runtime per worker
 * (vitest.config.ts), so each starts from an empty simulator with default settings.
 */
beforeAll(resetSim, 30_000);
