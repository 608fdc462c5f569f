#!/usr/bin/env node
// Entry point of `npm run demo`: the example application that signs in through Passgate.
// The sources are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/demo/main.ts');
const code = await main(process.env);
// null: the demo is serving and stops on SIGINT or SIGTERM.
if (code !== null) process.exit(code);
