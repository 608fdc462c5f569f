// One "server process" of test/store/contract/passcodes.contract.test.ts: opens the database
// named by its arguments and stores passcodes for one user through PasscodesRepository.replace,
// all at once, then prints the outcomes as one JSON line.
import { openDatabase } from '../../../src/store/database.js';
import { PasscodesRepository } from '../../../src/store/repositories/passcodes.js';

const [url = '', userId = '', now = '0', count = '0', challenge = '', limits = '{}'] = process.argv.slice(2);
const database = await openDatabase(url);
const passcodes = new PasscodesRepository(database.db, () => Number(now));
const outcomes = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    passcodes.replace(
      {
        userId,
        challengeId: challenge || `challenge-${process.pid}-${i}`,
        channel: 'sms',
        codeHash: `hash-${process.pid}-${i}`,
        destination: '+44 *** 0000',
        expiresAt: Number(now) + 300_000,
      },
      JSON.parse(limits),
    ),
  ),
);
await database.close();
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
