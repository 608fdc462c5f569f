import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import type { PasscodeLimits, PasscodeReservation } from '../../../src/store/repositories/passcodes.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { collect } from '../../support/cli.js';
import { describeContract, T0 } from './contract-store.js';

const SENDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'passcode-sends.process.ts');

describeContract('PasscodesRepository across server processes', (store) => {
  let userId: string;
  beforeEach(async () => {
    userId = (await new UsersRepository(store.database.db, store.clock).create({ username: 'alice' })).id;
  });

  /** Runs `processes` processes at once, each storing `each` passcodes concurrently. */
  async function sendFromProcesses(
    processes: number,
    each: number,
    limits: PasscodeLimits,
    challenge = '',
  ): Promise<PasscodeReservation[]> {
    const runs = await Promise.all(
      Array.from({ length: processes }, () =>
        collect(
          spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              SENDER,
              store.url,
              userId,
              String(T0),
              String(each),
              challenge,
              JSON.stringify(limits),
            ],
            { stdio: ['ignore', 'pipe', 'pipe'] },
          ),
        ),
      ),
    );
    for (const run of runs) expect(run.stderr, run.stderr).toBe('');
    return runs.flatMap((run) => JSON.parse(run.stdout) as PasscodeReservation[]);
  }

  const storedRows = () =>
    store.database.db.selectFrom('passcodes').selectAll().where('user_id', '=', userId).execute();

  it('stores no more than the per-user limit of 24 concurrent sends from three processes', async () => {
    const outcomes = await sendFromProcesses(3, 8, {
      resendAfterMs: 30_000,
      windowMs: 3_600_000,
      maxPerUser: 4,
    });
    expect(outcomes.filter((o) => o.stored)).toHaveLength(4);
    const refused = outcomes.filter((o) => !o.stored);
    expect(refused).toHaveLength(20);
    for (const refusal of refused)
      expect(refusal).toMatchObject({ refusal: 'limit', sent: 4, retryAt: T0 + 3_600_000 });
    const rows = await storedRows();
    expect(rows).toHaveLength(4);
    // Only the latest one sent may still be used.
    expect(rows.filter((r) => r.revoked_at === null)).toHaveLength(1);
  });

  it('stores one passcode of 12 concurrent sends for one challenge: the others wait for the resend cool-down', async () => {
    const outcomes = await sendFromProcesses(
      3,
      4,
      { resendAfterMs: 30_000, windowMs: 3_600_000, maxPerUser: 100 },
      'challenge-1',
    );
    expect(outcomes.filter((o) => o.stored)).toHaveLength(1);
    for (const refusal of outcomes.filter((o) => !o.stored))
      expect(refusal).toEqual({ stored: false, refusal: 'resend', retryAt: T0 + 30_000 });
    expect(await storedRows()).toHaveLength(1);
  });
});
