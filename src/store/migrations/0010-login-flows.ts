import { type Kysely, sql } from 'kysely';

/** A row of saml_flows (migration 0006, 0009) as this migration moves it. */
interface SamlFlowRow {
  uid: string;
  sp: string;
  request_id: string | null;
  acs_url: string;
  relay_state: string | null;
  step_up: string | null;
  force_authn: number;
  secret_hash: string;
  created_at: number | string;
  expires_at: number | string;
  completed_at: number | string | null;
  requirements: string | null;
}

/**
 * Sign-ins in progress of every door in one table, each bound to the browser that started it by
 * a secret whose hash only is stored (the SAML door's mechanism, now the hosted login's): the
 * door's own state is JSON. SAML flows open at the upgrade move over, so none is lost.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('login_flows')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('door', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('login_flows_expires')
    .on('login_flows')
    .columns(['door', 'expires_at'])
    .execute();

  const { rows } = await sql<SamlFlowRow>`select * from saml_flows`.execute(db);
  for (const row of rows) {
    const state = {
      sp: row.sp,
      requestId: row.request_id,
      acsUrl: row.acs_url,
      relayState: row.relay_state,
      stepUp: row.step_up,
      forceAuthn: Number(row.force_authn) === 1,
      requirements: row.requirements ? JSON.parse(row.requirements) : null,
    };
    await sql`
      insert into login_flows (uid, door, state, secret_hash, created_at, expires_at, completed_at)
      values (${row.uid}, 'saml', ${JSON.stringify(state)}, ${row.secret_hash}, ${Number(row.created_at)},
              ${Number(row.expires_at)}, ${row.completed_at === null ? null : Number(row.completed_at)})
    `.execute(db);
  }
  await db.schema.dropTable('saml_flows').execute();
}
