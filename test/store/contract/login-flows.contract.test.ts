import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { type LoginFlowRecord, LoginFlowsRepository } from '../../../src/store/repositories/login-flows.js';
import { BACKENDS, createTestDatabase } from '../../support/databases.js';
import { describeContract, T0 } from './contract-store.js';

const MINUTE = 60_000;

/** A flow of `door` opened at T0 for ten minutes. */
const flow = (uid: string, door = 'saml'): LoginFlowRecord => ({
  uid,
  door,
  state: JSON.stringify({ sp: 'google', relayState: 'é ✓' }),
  secret_hash: 'ab'.repeat(32),
  created_at: T0,
  expires_at: T0 + 10 * MINUTE,
  completed_at: null,
});

describeContract('LoginFlowsRepository', (store) => {
  let repo: LoginFlowsRepository;
  beforeEach(() => {
    repo = new LoginFlowsRepository(store.database.db);
  });

  it('gives an open flow back exactly, to its own door only, until it expires', async () => {
    await repo.create(flow('f1'));
    expect(await repo.findOpen('saml', 'f1', T0)).toEqual(flow('f1'));
    expect(await repo.findOpen('selfservice', 'f1', T0)).toBeUndefined();
    expect(await repo.findOpen('saml', 'f2', T0)).toBeUndefined();
    expect(await repo.findOpen('saml', 'f1', T0 + 10 * MINUTE - 1)).toBeDefined();
    expect(await repo.findOpen('saml', 'f1', T0 + 10 * MINUTE)).toBeUndefined();
  });

  it('completes a flow once across server processes, never another door’s or an expired one', async () => {
    await repo.create(flow('f1'));
    await repo.create(flow('f2'));
    const other = new LoginFlowsRepository((await store.openAnotherHandle()).db);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? other : repo).complete('saml', 'f1', T0 + MINUTE)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await repo.findOpen('saml', 'f1', T0 + MINUTE)).toBeUndefined();
    expect(await repo.complete('selfservice', 'f2', T0)).toBe(false);
    expect(await repo.complete('saml', 'f2', T0 + 10 * MINUTE)).toBe(false);
    expect(await repo.findOpen('saml', 'f2', T0)).toBeDefined();
  });

  it('prunes a door’s expired flows, completed ones included, and keeps open ones and other doors’', async () => {
    await repo.create(flow('open'));
    await repo.create({ ...flow('old'), expires_at: T0 + MINUTE });
    await repo.create({ ...flow('done'), expires_at: T0 + MINUTE, completed_at: T0 });
    await repo.create({ ...flow('theirs', 'selfservice'), expires_at: T0 + MINUTE });
    expect(await repo.prune('saml', T0 + MINUTE)).toBe(2);
    expect(await repo.prune('saml', T0 + MINUTE)).toBe(0);
    expect(await repo.findOpen('saml', 'open', T0 + MINUTE)).toBeDefined();
    expect(await repo.prune('selfservice', T0 + MINUTE)).toBe(1);
  });
});

describe.each(BACKENDS)('migration 0010-login-flows (%s)', (backend) => {
  it('moves the SAML flows open at the upgrade into login_flows, state and binding intact', async () => {
    const testDatabase = await createTestDatabase(backend);
    const database = await openDatabase(testDatabase.url);
    try {
      const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0010'));
      await migrateToLatest(database, before);
      await sql`
        insert into saml_flows (uid, sp, request_id, acs_url, relay_state, step_up, force_authn,
          secret_hash, created_at, expires_at, completed_at, requirements)
        values ('u1', 'google', '_r1', 'https://sp.example/acs', 'rs', 'requested_authn_context', 1,
          ${'cd'.repeat(32)}, ${T0}, ${T0 + 10 * MINUTE}, null, '{"subject":{"nameId":"a"}}')
      `.execute(database.db);
      const upToLoginFlows = Object.fromEntries(
        Object.entries(migrations).filter(([name]) => name <= '0010-login-flows'),
      );
      expect(await migrateToLatest(database, upToLoginFlows)).toEqual({ applied: ['0010-login-flows'] });
      const moved = await new LoginFlowsRepository(database.db).findOpen('saml', 'u1', T0);
      expect({ ...moved, state: JSON.parse(moved!.state) }).toEqual({
        uid: 'u1',
        door: 'saml',
        state: {
          sp: 'google',
          requestId: '_r1',
          acsUrl: 'https://sp.example/acs',
          relayState: 'rs',
          stepUp: 'requested_authn_context',
          forceAuthn: true,
          requirements: { subject: { nameId: 'a' } },
        },
        secret_hash: 'cd'.repeat(32),
        created_at: T0,
        expires_at: T0 + 10 * MINUTE,
        completed_at: null,
      });
      const tables = await database.db.introspection.getTables();
      expect(tables.map((t) => t.name)).not.toContain('saml_flows');
    } finally {
      await database.close();
      await testDatabase.drop();
    }
  });
});
