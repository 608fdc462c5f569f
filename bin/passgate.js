#!/usr/bin/env node
// Entry point of the `passgate` command.
import { loadSource } from './load.js';

const { main } = await loadSource('cli/main');
const code = await main(process.argv);
// null: a server is running and stops on SIGTERM; every other command exits with its code.
if (code !== null) process.exit(code);
