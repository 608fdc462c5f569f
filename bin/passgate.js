#!/usr/bin/env node
// Entry point of the `passgate` command. The sources are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv);
// null: a server is running and stops on SIGTERM; every other command exits with its code.
if (code !== null) process.exit(code);
