import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './free-port.js';
import { startCluster, stopCluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server the tests create their databases on. */
    postgresUrl: string;
  }
}

/**
 * Starts the real servers the suite shares, once per run: a PostgreSQL cluster, unless
 * `.ci/run` already started one and passed its URL in PASSGATE_TEST_POSTGRES_URL.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.PASSGATE_TEST_POSTGRES_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return () => {};
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-pg-'));
  const url = startCluster(dir, await freePort());
  project.provide('postgresUrl', url);
  return () => stopCluster(dir, true);
}
