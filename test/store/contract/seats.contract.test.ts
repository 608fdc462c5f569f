import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import {
  type SeatAllocation,
  type SeatRequest,
  SeatsRepository,
} from '../../../src/store/repositories/seats.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { collect } from '../../support/cli.js';
import { describeContract, T0 } from './contract-store.js';

const ALLOCATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seat-allocations.process.ts');

describeContract('SeatsRepository', (store) => {
  let seats: SeatsRepository;
  let ids: string[];
  beforeEach(async () => {
    seats = new SeatsRepository(store.database.db);
    const users = new UsersRepository(store.database.db, store.clock);
    ids = [];
    for (const name of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'])
      ids.push((await users.create({ username: name })).id);
  });

  const ask = (userIds: string[], capacity: number | null, mode: SeatRequest['mode'] = 'all-or-nothing') =>
    seats.allocate({ userIds, pool: 'mfa', by: 'admin', via: 'hand', now: T0, capacity, mode });

  it('gives seats while they fit, and refuses a request over capacity as a whole, naming the number missing', async () => {
    expect(await ask(ids.slice(0, 2), 4)).toMatchObject({ allocated: ids.slice(0, 2), missing: 0, used: 2 });
    // Two held, four asked (one held already): three new ones, two free: one missing, nothing written.
    const refused = await ask(ids.slice(1, 5), 4);
    expect(refused).toMatchObject({ allocated: [], alreadyHeld: 1, missing: 1, used: 2 });
    expect(await seats.counts()).toEqual({ mfa: 2 });
    expect(await seats.holds(ids[2] as string, 'mfa')).toBe(false);
    // The reset pool is independent of the MFA pool.
    expect(await seats.holds(ids[0] as string, 'reset')).toBe(false);
    expect(await seats.ofUser(ids[0] as string)).toEqual([
      { userId: ids[0], pool: 'mfa', allocatedAt: T0, allocatedBy: 'admin', via: 'hand' },
    ]);
  });

  it('gives seats in the order asked until the pool is full under until-full, and reports those left over', async () => {
    const outcome = await ask(ids, 4, 'until-full');
    expect(outcome).toMatchObject({ allocated: ids.slice(0, 4), missing: 2, used: 4 });
    expect(await seats.holds(ids[4] as string, 'mfa')).toBe(false);
  });

  it('refuses ids that name no user and writes nothing', async () => {
    const outcome = await ask([ids[0] as string, 'no-such-user'], null);
    expect(outcome).toMatchObject({ allocated: [], unknownUsers: ['no-such-user'] });
    expect(await seats.counts()).toEqual({});
  });

  it('releases only seats that exist, and lists the holders of a pool by how their seat was given', async () => {
    await ask(ids.slice(0, 3), null);
    await seats.allocate({
      userIds: [ids[3] as string],
      pool: 'mfa',
      by: 'rule:staff',
      via: 'rule',
      now: T0,
      capacity: null,
      mode: 'until-full',
    });
    expect(await seats.holdersVia('mfa', 'rule')).toEqual([ids[3]]);
    expect((await seats.release([ids[0] as string, ids[5] as string], 'mfa')).sort()).toEqual([ids[0]]);
    expect(await seats.counts()).toEqual({ mfa: 3 });
  });

  it('reports a crossing of the high-use mark to one caller only', async () => {
    const marks = await Promise.all([seats.markHighUse('mfa', true), seats.markHighUse('mfa', true)]);
    expect(marks.filter(Boolean)).toHaveLength(1);
    expect(await seats.markHighUse('mfa', true)).toBe(false);
    expect(await seats.markHighUse('mfa', false)).toBe(true);
  });

  it('never exceeds the capacity under concurrent allocations from two server processes', async () => {
    const capacity = 3;
    const runs = await Promise.all(
      [ids.slice(0, 3), ids.slice(3, 6)].map((group) =>
        collect(
          spawn(process.execPath, ['--import', 'tsx', ALLOCATOR, store.url, String(capacity), ...group], {
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        ),
      ),
    );
    for (const run of runs) expect(run.stderr, run.stderr).toBe('');
    const outcomes = runs.flatMap((run) => JSON.parse(run.stdout) as SeatAllocation[]);
    expect(outcomes.filter((o) => o.allocated.length === 1)).toHaveLength(3);
    expect(outcomes.filter((o) => o.missing === 1)).toHaveLength(3);
    expect(await seats.counts()).toEqual({ mfa: 3 });
  });
});
