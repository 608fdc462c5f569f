// The harness from the shell (run with tsx, e.g. `npx tsx test/support/samba/cli.ts prepare`):
//   prepare      -> provisions the cache if needed, prints its folder
//   start [DIR]  -> runs a DC in the foreground (until SIGINT/SIGTERM), prints its details as one
//                   JSON line, usable as PASSGATE_TEST_SAMBA for `vitest run`
//   stop DIR     -> stops the DC a `start` runs in DIR (and waits)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from './pids.js';
import { prepare } from './provision.js';
import { serve } from './serve.js';

function fail(error: Error): never {
  console.error(`samba-dc: ${error.message}`);
  process.exit(1);
}

async function prepareCommand(): Promise<void> {
  const began = performance.now();
  console.log(await prepare());
  console.error(`samba-dc: provisioned domain ready in ${Math.round(performance.now() - began)} ms`);
}

async function startCommand(dir: string | undefined): Promise<void> {
  const folder = dir ? path.resolve(dir) : undefined;
  const served = await serve(folder, { remove: !folder });
  writeFileSync(path.join(served.details.dir, 'serve.pid'), String(process.pid));
  console.log(JSON.stringify(served.details));
  const end = () => served.close().then(() => process.exit(0), fail);
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
}

function stopCommand(dir: string): void {
  const file = path.join(path.resolve(dir), 'serve.pid');
  if (!existsSync(file)) fail(new Error(`no ${file}: nothing started there`));
  const pid = Number(readFileSync(file, 'utf8'));
  if (processAlive(pid)) process.kill(pid, 'SIGTERM');
  // Return once it has stopped the DC, so its address is free for the next one.
  const deadline = Date.now() + 20_000;
  while (processAlive(pid) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
  rmSync(file, { force: true });
  if (processAlive(pid))
    fail(new Error(`process ${pid} (samba/cli.ts start ${dir}) did not stop within 20 s`));
}

const [command, dir] = process.argv.slice(2);
if (command === 'prepare') prepareCommand().catch(fail);
else if (command === 'start') startCommand(dir).catch(fail);
else if (command === 'stop' && dir) stopCommand(dir);
else {
  console.error('usage: cli.ts prepare | start [DIR] | stop DIR');
  process.exit(2);
}
