// Loopback addresses. The LDAP ports are fixed (389, 636, 3268, 3269) but every 127.x.y.z is
// local on Linux and Samba binds the one it is told: each DC gets its own address, so test runs
// of several people (or worktrees) on one machine do not collide. 127.0.0.1 when it is free.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from './pids.js';
import { portAnswers } from './probes.js';

const CLAIMS = path.join(os.tmpdir(), 'passgate-samba-claims');
const LDAP_PORTS = [389, 636, 3268, 3269];

/** Claims a loopback address no one else's DC uses, for this process (until `releaseHost` or exit). */
export async function claimHost(): Promise<string> {
  mkdirSync(CLAIMS, { recursive: true });
  for (let i = 1; i < 128; i++) {
    const host = `127.0.0.${i}`;
    const file = path.join(CLAIMS, host);
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(file, 'utf8') || 0);
      if (processAlive(owner)) continue;
      rmSync(file, { force: true }); // the claim of a process that is gone
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx' });
      } catch {
        continue; // another run was faster
      }
    }
    const busy = await Promise.all(LDAP_PORTS.map((port) => portAnswers(host, port)));
    if (!busy.includes(true)) return host;
    rmSync(file, { force: true }); // something else listens there
  }
  throw new Error(`no free loopback address for a Samba DC among 127.0.0.1-127: see ${CLAIMS}`);
}

/** Gives back an address `claimHost` claimed (only if this process holds it). */
export function releaseHost(host: string): void {
  const file = path.join(CLAIMS, host);
  try {
    if (Number(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true });
  } catch {
    // not claimed
  }
}
