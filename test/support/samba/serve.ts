// Serving one DC to a whole test run: the DC plus a small control endpoint on loopback through
// which test workers (other processes) stop and restart it, and take leases so that a test that
// stops the DC does not pull it away from another test file running at the same time.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { details, type SambaDc } from './domain.js';
import { claimHost, releaseHost } from './host-claims.js';
import { createLeases, type LeaseMode } from './leases.js';
import { processAlive } from './pids.js';
import { type ExitStatus, type SambaHandle, start } from './process.js';
import { provision } from './provision.js';

/** Where the control endpoint of a served DC listens. */
const CONTROL_HOST = '127.0.0.1';
const RUN_PREFIX = 'passgate-samba-run-';

/** A DC served to a test run (with its control endpoint). */
export interface ServedDc {
  details: SambaDc & { controlUrl: string };
  readonly pid: number;
  close(): Promise<ExitStatus>;
}

/** Removes the folders of served DCs whose process died without cleaning up (killed test runs). */
function removeAbandonedRuns(): void {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const folder = path.join(os.tmpdir(), name);
    try {
      if (!processAlive(Number(readFileSync(path.join(folder, 'owner.pid'), 'utf8'))))
        rmSync(folder, { recursive: true, force: true });
    } catch {
      // no owner: not ours to remove
    }
  }
}

/**
 * Provisions `dir` (a new temporary folder, removed by `close`, if not given), claims an address,
 * starts the DC and a control endpoint. `details` (JSON-safe) is what tests receive.
 */
export async function serve(
  dir: string | undefined = undefined,
  { remove = dir === undefined }: { remove?: boolean } = {},
): Promise<ServedDc> {
  removeAbandonedRuns();
  const folder = dir ?? mkdtempSync(path.join(os.tmpdir(), RUN_PREFIX));
  if (remove) writeFileSync(path.join(folder, 'owner.pid'), String(process.pid));
  const host = await claimHost();
  let dc: SambaHandle;
  try {
    await provision(folder, { host });
    dc = await start(folder);
  } catch (error) {
    releaseHost(host);
    if (remove) rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  const leases = createLeases();
  let down: string | null = null; // the holder that stopped the DC
  const act = async (action: string, holder: string, mode: LeaseMode): Promise<object> => {
    switch (action) {
      case '/acquire':
        await leases.acquire(holder, mode);
        return { ok: true };
      case '/release':
        leases.release(holder, mode);
        return { ok: true };
      case '/stop':
        if (down) throw new Error('the DC is already stopped');
        await leases.acquire(holder, 'exclusive');
        down = holder;
        return { ok: true, status: await dc.stop() };
      case '/start':
        if (!down) throw new Error('the DC is running');
        dc = await start(folder);
        leases.release(down, 'exclusive');
        down = null;
        return { ok: true, pid: dc.pid };
      case '/restart':
        if (down) throw new Error('the DC is stopped: start it');
        await leases.acquire(holder, 'exclusive');
        try {
          dc = await dc.restart();
        } finally {
          leases.release(holder, 'exclusive');
        }
        return { ok: true, pid: dc.pid };
      case '/status':
        return { ok: true, pid: down ? null : dc.pid, leases: leases.describe() };
      default:
        throw new Error(`unknown control ${action}`);
    }
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const holder = url.searchParams.get('holder') ?? '';
    const mode = url.searchParams.get('mode') === 'exclusive' ? 'exclusive' : 'shared';
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    act(url.pathname, holder, mode).then(
      (body) => answer(200, body),
      (error: Error) => answer(500, { ok: false, error: error.message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, CONTROL_HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    details: { ...details(folder), controlUrl: `http://${CONTROL_HOST}:${port}` },
    get pid() {
      return dc.pid;
    },
    async close() {
      leases.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const status = await dc.stop();
      releaseHost(host);
      if (remove) rmSync(folder, { recursive: true, force: true });
      return status;
    },
  };
}
