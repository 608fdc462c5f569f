#!/usr/bin/env node
// Entry point of `npm run demo`: the example application that signs in through Passgate.
import { loadSource } from './load.js';

const { main } = await loadSource('demo/main');
const code = await main(process.env);
// null: the demo is serving and stops on SIGINT or SIGTERM.
if (code !== null) process.exit(code);
