import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './free-port.js';
import { startCluster, stopCluster } from './postgres-cluster.js';
import { type SambaProvided, serve } from './samba/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server the tests create their databases on. */
    postgresUrl: string;
    /**
     * The Samba Active Directory DC the run shares (test/support/samba/): pass it through
     * `requireDc(inject('samba'))`, which fails, naming the reason, when there is none.
     */
    samba: SambaProvided;
  }
}

/**
 * Starts the real servers the suite shares, once per run: a PostgreSQL cluster, unless `.ci/run`
 * already started one and passed its URL in PASSGATE_TEST_POSTGRES_URL; and a Samba AD domain
 * controller (on a loopback address of its own: its LDAP ports are fixed), unless PASSGATE_TEST_SAMBA holds the
 * details of a running one (`npx tsx test/support/samba/cli.ts start` prints them).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const samba = startSamba(); // in parallel with PostgreSQL
  samba.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  let stopPostgres = () => {};
  try {
    const given = process.env.PASSGATE_TEST_POSTGRES_URL;
    if (given) project.provide('postgresUrl', given);
    else {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-pg-'));
      project.provide('postgresUrl', startCluster(dir, await freePort()));
      stopPostgres = () => stopCluster(dir, true);
    }
  } catch (error) {
    await samba.then((dc) => dc.stop()).catch(() => {});
    throw error;
  }
  let dc: Awaited<typeof samba>;
  try {
    dc = await samba;
  } catch (error) {
    stopPostgres();
    throw error;
  }
  project.provide('samba', dc.provided);
  return async () => {
    await dc.stop();
    stopPostgres();
  };
}

async function startSamba(): Promise<{ provided: SambaProvided; stop: () => Promise<void> }> {
  const given = process.env.PASSGATE_TEST_SAMBA;
  if (given) return { provided: JSON.parse(given) as SambaProvided, stop: async () => {} };
  try {
    const served = await serve();
    return { provided: served.details, stop: () => served.close().then(() => undefined) };
  } catch (error) {
    // In CI a missing Samba fails the run; elsewhere only the tests that need the DC fail.
    if (process.env.CI) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    console.warn(`samba-dc: no Samba AD DC for this run (the AD tests will fail): ${reason}`);
    return { provided: { unavailable: reason }, stop: async () => {} };
  }
}
