#!/usr/bin/env node
// The `bollard` command. The CLI is TypeScript; tsx loads it so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
