import { spawn } from 'node:child_process';

/**
 * `npm start`: runs Bollard locally with `wrangler dev` on 127.0.0.1:8787.
 * (The simulator issue grows this into "simulator + Bollard + demo".)
 */
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
const child = spawn('node_modules/.bin/wrangler', ['dev', '--ip', '127.0.0.1', '--port', '8787'], {
  stdio: 'inherit',
  env,
});
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code) => process.exit(code ?? 0));
