import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LicenceErrors, missingSeats } from '../../src/licences/errors.js';
import { Licence } from '../../src/licences/licence.js';
import { Seats } from '../../src/licences/seats.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestCore, fakeClock, type TestCore } from '../support/core.js';
import { BACKENDS } from '../support/databases.js';
import { content } from './vendor.js';

const DAY = 86_400_000;
/** The licence's last valid moment: 2027-06-30 ends. */
const EXPIRY = Date.UTC(2027, 6, 1);

describe.each(BACKENDS)('seats under a licence (%s)', (backend) => {
  let test: TestCore;
  let seats: Seats;
  let logs: Array<{ msg: string; pool?: string }>;
  let ids: string[];

  beforeEach(async () => {
    test = await createTestCore(backend, {}, fakeClock(Date.UTC(2027, 0, 15)));
    logs = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    seats = new Seats({
      repository: test.core.repositories.seats,
      audit: test.core.audit,
      clock: test.clock,
      logger: createLogger('info', sink),
      terms: new Licence(content({ pools: { mfa: 10, reset: 2 }, expires: '2027-06-30' })),
    });
    ids = [];
    for (let i = 0; i < 12; i++) ids.push((await test.addUser(`user${String(i).padStart(2, '0')}`)).id);
  });
  afterEach(() => test.close());

  it('refuses a bulk allocation over capacity as a whole, naming the number missing, and writes nothing', async () => {
    await seats.allocate(ids.slice(0, 8), 'mfa', 'admin');
    const error = await seats.allocate(ids.slice(6, 12), 'mfa', 'admin').catch((e: unknown) => e);
    // 6 asked, 2 held already: 4 new ones for 2 free seats.
    expect(LicenceErrors.is(error, 'SEATS_FULL')).toBe(true);
    expect(missingSeats(error)).toBe(2);
    expect((error as Error).message).toBe('mfa pool: 2 seat(s) missing (capacity 10, 8 used)');
    expect(await seats.usage()).toEqual({ mfa: { used: 8, capacity: 10 }, reset: { used: 0, capacity: 2 } });
    expect(await seats.holds(ids[9] as string, 'mfa')).toBe(false);
  });

  it('fills a pool exactly, then refuses one more; the reset pool is counted apart', async () => {
    expect(await seats.allocate(ids.slice(0, 10), 'mfa', 'admin')).toMatchObject({ allocated: 10, used: 10 });
    expect(
      missingSeats(await seats.allocate([ids[10] as string], 'mfa', 'admin').catch((e: unknown) => e)),
    ).toBe(1);
    expect(await seats.allocate(ids.slice(10, 12), 'reset', 'admin')).toMatchObject({
      allocated: 2,
      capacity: 2,
    });
    expect(await seats.heldBy(ids[10] as string)).toEqual(['reset']);
  });

  it('audits each seat given and taken back, with the pool and who did it', async () => {
    await seats.allocate([ids[0] as string], 'mfa', 'cli:root');
    test.clock.advance(1000);
    await seats.release([ids[0] as string, ids[1] as string], 'mfa', 'cli:root');
    const events = await test.core.audit.recent({ userId: ids[0] as string });
    expect(events.map((e) => [e.type, e.details])).toEqual([
      ['seat.released', { pool: 'mfa', by: 'cli:root' }],
      ['seat.allocated', { pool: 'mfa', by: 'cli:root', via: 'hand' }],
    ]);
    expect(await test.core.audit.recent({ userId: ids[1] as string })).toEqual([]);
  });

  it('warns in the log once when a pool crosses 90 % use, and again only after it fell below', async () => {
    const warnings = () => logs.filter((l) => /seat pool is at/.test(l.msg)).map((l) => l.msg);
    await seats.allocate(ids.slice(0, 8), 'mfa', 'admin');
    expect(warnings()).toEqual([]);
    await seats.allocate([ids[8] as string], 'mfa', 'admin');
    await seats.allocate([ids[9] as string], 'mfa', 'admin');
    expect(warnings()).toEqual(['licence: the mfa seat pool is at 90 % of its capacity']);
    await seats.release(ids.slice(7, 10), 'mfa', 'admin');
    await seats.allocate(ids.slice(7, 10), 'mfa', 'admin');
    expect(warnings()).toHaveLength(2);
  });

  it('warns while expired for 30 days and still allocates, then refuses new seats but keeps those given', async () => {
    await seats.allocate([ids[0] as string], 'mfa', 'admin');
    test.clock.set(EXPIRY + 5 * DAY);
    await seats.allocate([ids[1] as string], 'mfa', 'admin');
    expect(logs.filter((l) => /licence: expired/.test(l.msg)).map((l) => l.msg)).toEqual([
      'licence: expired on 2027-06-30; new seats can be allocated until 2027-07-31, then only existing seats stay',
    ]);
    test.clock.set(EXPIRY + 30 * DAY);
    const error = await seats.allocate([ids[2] as string], 'mfa', 'admin').catch((e: unknown) => e);
    expect(LicenceErrors.is(error, 'LICENCE_EXPIRED')).toBe(true);
    expect(await seats.holds(ids[0] as string, 'mfa')).toBe(true);
    expect(await seats.holds(ids[1] as string, 'mfa')).toBe(true);
    // Releasing still works; a rule gives nothing any more.
    expect(await seats.release([ids[1] as string], 'mfa', 'admin')).toBe(1);
    expect(await seats.allocateUntilFull([ids[3] as string], 'mfa', 'rule', 'rule')).toMatchObject({
      allocated: 0,
      missing: 1,
    });
    expect(seats.licence()).toMatchObject({ status: 'expired', blocksFrom: null });
  });
});
