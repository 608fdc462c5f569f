#!/usr/bin/env node
// Entry point of the `passgate` command.
import module from 'node:module';
import { loadSource } from './load.js';

// Node.js 22.1 and later keep V8's compiled code of the modules between runs (in the system's
// temporary folder), so a start or a command does not compile the bundle again; Node.js 20 has
// no such cache and runs on without it.
module.enableCompileCache?.();

const { main } = await loadSource('cli/main');
const code = await main(process.argv);
// null: a server is running and stops on SIGTERM; every other command exits with its code.
if (code !== null) process.exit(code);
