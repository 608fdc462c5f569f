import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignInAttempt } from '../../src/attempts/attempt.js';
import { AttemptWriter } from '../../src/attempts/writer.js';
import type { SignInAttemptRow } from '../../src/store/tables.js';
import { Browser } from '../support/browser.js';
import type { Backend } from '../support/databases.js';
import { radclient, radiusClients } from '../support/radclient.js';
import { discover, loginWithCode, signInWithPassword } from '../support/relying-party.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { addTotpTestUser } from '../support/totp-user.js';

const PASSWORD = 'correct horse battery';
const SECRET = 'radius-attempts-secret-0123456789';
const SECRET_VARIABLE = 'PASSGATE_TEST_ATTEMPTS_RADIUS_SECRET';
const DAY = 86_400_000;

/** A failed password attempt of `name` on the test door. */
const attempt = (name: string): SignInAttempt => ({
  origin: { address: '192.0.2.7', door: 'test' },
  user: { name },
  result: 'wrong_password',
  reason: 'INVALID_CREDENTIALS',
});

/** A browser behind the trusted proxy (127.0.0.1) that says it comes from `address`. */
const from = (address: string) => new Browser({ 'x-forwarded-for': address });

async function rows(passgate: TestServer): Promise<SignInAttemptRow[]> {
  await passgate.core.attempts.flush();
  return passgate.core.database.db.selectFrom('sign_in_attempts').selectAll().orderBy('id').execute();
}

async function metric(passgate: TestServer, name: string): Promise<string[]> {
  const text = await (await fetch(`${passgate.server.metricsUrl}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe.each<Backend>(['sqlite', 'postgres'])('sign-in attempts on %s', (backend) => {
  let passgate: TestServer;
  let radiusPort: number;
  const radius = (attributes: Record<string, string>) =>
    radclient(attributes, { server: `127.0.0.1:${radiusPort}`, secret: SECRET });

  beforeAll(async () => {
    process.env[SECRET_VARIABLE] = SECRET;
    passgate = await startTestServer({
      backend,
      config: {
        server: { trustedProxies: ['127.0.0.1/32'] },
        metrics: { listen: '127.0.0.1:0' },
        radius: { enabled: true, host: '127.0.0.1', port: 0 },
        attempts: { flushMilliseconds: 60_000 },
        policies: {
          authentication: {
            'no-brazil': { when: { countries: ['BR'] }, outcome: { action: 'deny' } },
          },
        },
      },
    });
    radiusPort = await radiusClients(passgate, [
      { name: 'vpn', addresses: ['127.0.0.0/8'], secret: { env: SECRET_VARIABLE } },
    ]);
    await passgate.addUser('alice', PASSWORD);
    await addTotpTestUser(passgate, 'tina', PASSWORD);
  });
  afterAll(async () => {
    await passgate?.close();
    delete process.env[SECRET_VARIABLE];
  });

  it('records every attempt of the hosted login and of RADIUS as one row: user, door, application, address, network, country, result, rule, action, method', async () => {
    const rp = await discover(passgate.url);
    await loginWithCode(rp, 'alice', PASSWORD, { browser: from('145.100.1.1') });
    const wrong = await signInWithPassword(rp, 'alice', 'not the password', { browser: from('8.8.8.8') });
    expect(wrong.page.status).toBe(401);
    const denied = await signInWithPassword(rp, 'alice', PASSWORD, { browser: from('200.160.0.8') });
    expect(denied.page.status).toBe(403);
    expect(
      (await radius({ 'User-Name': 'alice', 'User-Password': PASSWORD, 'Calling-Station-Id': '133.11.0.1' }))
        .code,
    ).toBe('Access-Accept');
    expect(
      (await radius({ 'User-Name': 'nobody', 'User-Password': 'guess', 'Calling-Station-Id': '10.1.2.3' }))
        .code,
    ).toBe('Access-Reject');

    const recorded = (await rows(passgate)).map(({ id, at, ...row }) => row);
    expect(recorded).toEqual([
      {
        user_id: expect.any(String),
        user_name: 'alice',
        door: 'oidc',
        application: 'test-app',
        address: '145.100.1.1',
        network: '145.100.1.0/24',
        country: 'NL',
        first_seen: 1,
        result: 'success',
        reason: null,
        rule: 'default',
        action: 'allow',
        method: 'password',
      },
      {
        user_id: null,
        user_name: 'alice',
        door: 'oidc',
        application: 'test-app',
        address: '8.8.8.8',
        network: '8.8.8.0/24',
        country: 'US',
        first_seen: 0,
        result: 'wrong_password',
        reason: 'INVALID_CREDENTIALS',
        rule: null,
        action: null,
        method: 'password',
      },
      {
        user_id: expect.any(String),
        user_name: 'alice',
        door: 'oidc',
        application: 'test-app',
        address: '200.160.0.8',
        network: '200.160.0.0/24',
        country: 'BR',
        first_seen: 1,
        result: 'denied',
        reason: 'ACCESS_DENIED',
        rule: 'no-brazil',
        action: 'deny',
        method: null,
      },
      {
        user_id: expect.any(String),
        user_name: 'alice',
        door: 'radius',
        application: 'vpn',
        address: '133.11.0.1',
        network: '133.11.0.0/24',
        country: 'JP',
        first_seen: 1,
        result: 'success',
        reason: null,
        rule: 'default',
        action: 'allow',
        method: 'password',
      },
      {
        user_id: null,
        user_name: 'nobody',
        door: 'radius',
        application: 'vpn',
        address: '10.1.2.3',
        network: '10.1.2.0/24',
        country: null,
        first_seen: 0,
        result: 'wrong_password',
        reason: 'INVALID_CREDENTIALS',
        rule: null,
        action: null,
        method: 'password',
      },
    ]);
    const alice = await passgate.core.users.findByUsername('alice');
    expect(recorded.filter((row) => row.user_id !== null).every((row) => row.user_id === alice!.id)).toBe(
      true,
    );
  });

  it('records a wrong code as an attempt of its own, with the rule that asked for it and the method tried', async () => {
    const before = (await rows(passgate)).length;
    const first = await radius({
      'User-Name': 'tina',
      'User-Password': PASSWORD,
      'Calling-Station-Id': '8.8.4.4',
    });
    expect(first.code).toBe('Access-Challenge');
    const again = await radius({
      'User-Name': 'tina',
      'User-Password': '000000',
      State: first.attributes.State![0]!,
      'Calling-Station-Id': '8.8.4.4',
    });
    expect(again.code).toBe('Access-Challenge');
    const recorded = (await rows(passgate)).slice(before).map(({ id, at, user_id, ...row }) => row);
    expect(recorded).toEqual([
      {
        user_name: 'tina',
        door: 'radius',
        application: 'vpn',
        address: '8.8.4.4',
        network: '8.8.4.0/24',
        country: 'US',
        first_seen: 1,
        result: 'wrong_code',
        reason: 'MFA_INVALID_CODE',
        rule: 'default',
        action: 'mfa',
        method: 'totp',
      },
    ]);
  });

  it('counts them in Prometheus by door and result', async () => {
    const lines = await metric(passgate, 'passgate_sign_in_attempts_total{');
    expect(lines).toEqual(
      expect.arrayContaining([
        'passgate_sign_in_attempts_total{door="oidc",result="success"} 1',
        'passgate_sign_in_attempts_total{door="oidc",result="wrong_password"} 1',
        'passgate_sign_in_attempts_total{door="oidc",result="denied"} 1',
        'passgate_sign_in_attempts_total{door="radius",result="success"} 1',
        'passgate_sign_in_attempts_total{door="radius",result="wrong_password"} 1',
        'passgate_sign_in_attempts_total{door="radius",result="wrong_code"} 1',
      ]),
    );
  });

  it("records RADIUS's own refusals as attempts: a request without a password, a State no longer valid", async () => {
    const before = (await rows(passgate)).length;
    const bare = await radius({ 'User-Name': 'tina', 'Calling-Station-Id': '8.8.4.4' });
    expect(bare.code).toBe('Access-Reject');
    const first = await radius({
      'User-Name': 'tina',
      'User-Password': PASSWORD,
      'Calling-Station-Id': '8.8.4.4',
    });
    expect(first.code).toBe('Access-Challenge');
    const stale = await radius({
      'User-Name': 'alice',
      'User-Password': '123456',
      State: first.attributes.State![0]!,
      'Calling-Station-Id': '8.8.4.4',
    });
    expect(stale.code).toBe('Access-Reject');
    const recorded = (await rows(passgate)).slice(before).map(({ id, at, user_id, ...row }) => row);
    const refusal = {
      door: 'radius',
      application: 'vpn',
      address: '8.8.4.4',
      network: '8.8.4.0/24',
      country: 'US',
      first_seen: 0,
      rule: null,
      action: null,
      method: null,
    };
    expect(recorded).toEqual([
      { ...refusal, user_name: 'tina', result: 'error', reason: 'UNSUPPORTED_AUTHENTICATION' },
      { ...refusal, user_name: 'alice', result: 'expired', reason: 'MFA_CHALLENGE_EXPIRED' },
    ]);
  });

  it('deletes attempts older than retention.attemptsDays (180 by default) at the clean-up, in batches', async () => {
    const now = Date.now();
    const { signInAttempts } = passgate.core.repositories;
    const old = (n: number, at: number): SignInAttemptRow => ({
      id: `old-${backend}-${n}`,
      at,
      user_id: null,
      user_name: 'old',
      door: 'radius',
      application: 'vpn',
      address: '8.8.8.8',
      network: '8.8.8.0/24',
      country: 'US',
      first_seen: 0,
      result: 'wrong_password',
      reason: 'INVALID_CREDENTIALS',
      rule: null,
      action: null,
      method: 'password',
    });
    await signInAttempts.insertMany(Array.from({ length: 7 }, (_, n) => old(n, now - 200 * DAY - n)));
    expect(await signInAttempts.prune(now - 181 * DAY, 2)).toBe(7);
    await signInAttempts.insertMany([
      old(7, now - 181 * DAY),
      old(8, now - 400 * DAY),
      old(100, now - 179 * DAY),
    ]);
    await passgate.server.services()!.cleanUp();
    const left = (await rows(passgate)).filter((row) => row.user_name === 'old').map((row) => row.id);
    expect(left).toEqual([`old-${backend}-100`]);
  });
});

describe.each<Backend>(['sqlite', 'postgres'])('a store that cannot take attempts (%s)', (backend) => {
  let passgate: TestServer;
  const table = (from: string, to: string) =>
    sql`alter table ${sql.table(from)} rename to ${sql.table(to)}`.execute(passgate.core.database.db);

  beforeAll(async () => {
    passgate = await startTestServer({
      backend,
      config: {
        metrics: { listen: '127.0.0.1:0' },
        attempts: { queueSize: 3, batchSize: 2, flushMilliseconds: 20 },
      },
    });
    await passgate.addUser('bob', PASSWORD);
  });
  afterAll(() => passgate?.close());

  it('loses no sign-in: they succeed while the table is away, the queue keeps what fits and counts what it drops, and writes it once the table is back', async () => {
    const rp = await discover(passgate.url);
    await table('sign_in_attempts', 'sign_in_attempts_away');
    try {
      for (let n = 0; n < 5; n++) {
        const { tokens } = await loginWithCode(rp, 'bob', PASSWORD);
        expect(tokens.access_token).toBeTruthy();
        await new Promise((resolve) => setTimeout(resolve, 30)); // the writer tries, and fails
      }
      expect(passgate.core.attempts.pending).toBe(3);
      expect(await metric(passgate, 'passgate_sign_in_attempts_dropped_total ')).toEqual([
        'passgate_sign_in_attempts_dropped_total 2',
      ]);
      expect(
        passgate.logs.filter((line) => line.includes('sign-in attempts cannot be written')),
      ).toHaveLength(1);
    } finally {
      await table('sign_in_attempts_away', 'sign_in_attempts');
    }
    await passgate.core.attempts.flush();
    expect(passgate.core.attempts.pending).toBe(0);
    const written = await passgate.core.database.db
      .selectFrom('sign_in_attempts')
      .select(['user_name', 'result'])
      .execute();
    expect(written).toEqual(Array.from({ length: 3 }, () => ({ user_name: 'bob', result: 'success' })));
    expect(passgate.logs.some((line) => line.includes('sign-in attempts are written again'))).toBe(true);
  });

  it('a flush writes what a write refused while the table was away, when that refusal arrives after the table is back', async () => {
    const repository = passgate.core.repositories.signInAttempts;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The real insert runs at once (and fails: the table is away); its outcome arrives once the gate opens.
    const writer = new AttemptWriter(
      {
        insertMany: (rows) => {
          const outcome = repository.insertMany(rows);
          // Handled: the writer hears of the refusal through the promise returned below, once the gate opens.
          outcome.catch(() => {});
          return gate.then(() => outcome);
        },
      },
      { country: () => null },
      { queueSize: 10, batchSize: 10, flushMilliseconds: 1 },
      () => Date.now(),
    );
    await table('sign_in_attempts', 'sign_in_attempts_away');
    try {
      writer.record(attempt('dave'));
      await new Promise((resolve) => setTimeout(resolve, 30)); // the writer's timer starts the write
    } finally {
      await table('sign_in_attempts_away', 'sign_in_attempts');
    }
    const flushed = writer.flush();
    release();
    await flushed;
    expect(writer.pending).toBe(0);
    const written = await passgate.core.database.db
      .selectFrom('sign_in_attempts')
      .select('user_name')
      .where('user_name', '=', 'dave')
      .execute();
    expect(written).toEqual([{ user_name: 'dave' }]);
  });
});

describe('a graceful stop', () => {
  it('writes the attempts still waiting before the store closes', async () => {
    const { createTestDatabase } = await import('../support/databases.js');
    const { openDatabase } = await import('../../src/store/database.js');
    const database = await createTestDatabase('sqlite');
    const passgate = await startTestServer({
      databaseUrl: database.url,
      config: { attempts: { flushMilliseconds: 60_000 } },
    });
    try {
      await passgate.addUser('carol', PASSWORD);
      await loginWithCode(await discover(passgate.url), 'carol', PASSWORD);
      expect(passgate.core.attempts.pending).toBe(1);
    } finally {
      await passgate.close();
    }
    const store = await openDatabase(database.url);
    try {
      const written = await store.db.selectFrom('sign_in_attempts').select(['user_name', 'result']).execute();
      expect(written).toEqual([{ user_name: 'carol', result: 'success' }]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
