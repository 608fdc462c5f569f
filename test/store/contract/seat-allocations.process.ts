// One "server process" of test/store/contract/seats.contract.test.ts: opens the database named by
// its arguments and asks SeatsRepository.allocate for one seat per user given, all at once, under
// one capacity; prints the outcomes as one JSON line.
import { openDatabase } from '../../../src/store/database.js';
import { SeatsRepository } from '../../../src/store/repositories/seats.js';

const [url = '', capacity = '0', ...userIds] = process.argv.slice(2);
const database = await openDatabase(url);
const seats = new SeatsRepository(database.db);
const outcomes = await Promise.all(
  userIds.map((userId) =>
    seats.allocate({
      userIds: [userId],
      pool: 'mfa',
      by: `process-${process.pid}`,
      via: 'hand',
      now: 0,
      capacity: Number(capacity),
      mode: 'all-or-nothing',
    }),
  ),
);
await database.close();
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
