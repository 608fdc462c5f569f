#!/usr/bin/env node
// Entry point of `npm run bench`. The benchmark is TypeScript, loaded through tsx like the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../bench/run.ts');
