import type { Command } from 'commander';
import { missingSeats } from '../../licences/errors.js';
import { SEAT_POOLS, type SeatPool } from '../../licences/seats.js';
import type { Core } from '../../server/core.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';
import { formatTable } from '../table.js';
import { cliOperator } from './session.js';

/** `passgate licence show|allocate|release`: the licence, seat use per pool, seats by hand. */
export function registerLicenceCommands(program: Command, io: CliIo): void {
  const licence = program
    .command('licence')
    .description('See the licence and allocate MFA and password-reset seats');
  const globals = () => program.opts<GlobalOptions>();

  licence
    .command('show')
    .description('Show the licence (customer, expiry) and the seats used of each pool')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withCore(globals(), async (core) => {
        const summary = core.seats.licence();
        const usage = await core.seats.usage();
        if (options.json) return say(io, JSON.stringify({ licence: summary, pools: usage }, null, 2));
        say(io, describeLicence(summary));
        const rows = SEAT_POOLS.map((pool) => {
          const { used, capacity } = usage[pool];
          const share =
            capacity === null ? '' : capacity === 0 ? '100 %' : `${Math.round((used / capacity) * 100)} %`;
          return [pool, String(used), capacity === null ? 'unlimited' : String(capacity), share];
        });
        for (const line of formatTable(['POOL', 'USED', 'CAPACITY', 'USE'], rows)) say(io, line);
      });
    });

  licence
    .command('allocate <pool> <usernames...>')
    .description('Give each user a seat of the pool (mfa or reset): all or nothing when the pool lacks seats')
    .action(async (pool: string, usernames: string[]) => {
      await withCore(globals(), async (core) => {
        const ids = await userIds(core, usernames);
        try {
          const result = await core.seats.allocate(ids, seatPool(pool), cliOperator());
          say(
            io,
            `Allocated ${result.allocated} ${pool} seat(s); ${result.alreadyHeld} already held. ${useLine(result.used, result.capacity)}`,
          );
        } catch (error) {
          const missing = missingSeats(error);
          if (missing === undefined) throw error;
          throw new Error(`${(error as Error).message}: nothing was allocated`);
        }
      });
    });

  licence
    .command('release <pool> <usernames...>')
    .description('Take back the seats of the pool (mfa or reset) from these users')
    .action(async (pool: string, usernames: string[]) => {
      await withCore(globals(), async (core) => {
        const ids = await userIds(core, usernames);
        const released = await core.seats.release(ids, seatPool(pool), cliOperator());
        const { used, capacity } = (await core.seats.usage())[seatPool(pool)];
        say(io, `Released ${released} ${pool} seat(s). ${useLine(used, capacity)}`);
      });
    });
}

function seatPool(name: string): SeatPool {
  if (!(SEAT_POOLS as readonly string[]).includes(name))
    throw new Error(`unknown seat pool "${name}": expected ${SEAT_POOLS.join(' or ')}`);
  return name as SeatPool;
}

/** The ids of the named users; every name must exist, or nothing is done. */
async function userIds(core: Core, usernames: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const username of usernames) {
    const user = await core.users.findByUsername(username);
    if (user) ids.push(user.id);
    else unknown.push(username);
  }
  if (unknown.length > 0)
    throw new Error(`no user ${unknown.map((name) => `"${name}"`).join(', ')}: nothing was changed`);
  return ids;
}

function useLine(used: number, capacity: number | null): string {
  return capacity === null ? `${used} used (unlimited).` : `${used} of ${capacity} used.`;
}

function describeLicence(summary: ReturnType<Core['seats']['licence']>): string {
  switch (summary.status) {
    case 'unlimited':
      return 'No licence file: both seat pools are unlimited.';
    case 'valid':
      return `Licence of ${summary.customer}, valid until ${summary.expires}.`;
    case 'expired-grace':
      return `Licence of ${summary.customer} EXPIRED on ${summary.expires}: new seats can be allocated until ${summary.blocksFrom}.`;
    case 'expired':
      return `Licence of ${summary.customer} EXPIRED on ${summary.expires}: no new seats can be allocated; seats given stay.`;
  }
}
