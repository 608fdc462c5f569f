import type { Kysely } from 'kysely';
import type { ConfigInput } from '../../src/config/schema.js';
import type { AdminDoor } from '../../src/doors/admin/door.js';
import { PASSWORD, type PolicyServer, startPolicyServer } from '../policy/support.js';
import { type Exchange, formField } from '../support/browser.js';
import type { Backend } from '../support/databases.js';
import { SiteBrowser } from '../support/site-browser.js';

/** The roles of the test servers: ada administers, the Helpdesk group helps, otto audits; nora is no one. */
export const ADMIN_ROLES_CONFIG: { [role: string]: { users?: string[]; groups?: string[] } } = {
  administrator: { users: ['ada'] },
  helpdesk: { groups: ['Helpdesk'] },
  auditor: { users: ['otto'] },
};

/** A Passgate with the administration roles above and a user with a TOTP token in each. */
export async function startAdminServer(
  options: { backend?: Backend; config?: ConfigInput; databaseUrl?: string } = {},
): Promise<PolicyServer> {
  const server = await startPolicyServer({
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    config: {
      ...options.config,
      admin: { roles: ADMIN_ROLES_CONFIG, ...options.config?.admin },
    } as ConfigInput,
  });
  await server.addTotpUser('ada');
  await server.addTotpUser('hugo', { groups: ['helpdesk'] });
  await server.addTotpUser('otto');
  await server.addTotpUser('nora');
  return server;
}

/** The running administration door of a server (its pages, for the route table). */
export function adminDoorOf(server: PolicyServer): AdminDoor {
  const door = server.server.services()?.doors.admin;
  if (!door) throw new Error('the admin door is not running');
  return door;
}

/** A browser on the administration site, signing in through the hosted login as an administrator does. */
export class AdminBrowser extends SiteBrowser<PolicyServer> {
  /** Signs in from /admin: the password, then the TOTP code when the second-factor page shows. */
  signIn(username: string, withCode = true): Promise<Exchange> {
    return this.signInFrom('/admin', username, PASSWORD, withCode ? () => this.server.totp() : undefined);
  }

  /**
   * Posts a multipart form (files as `{ name, content }`) with the current page's CSRF token
   * unless `fields` sets one, following redirects.
   */
  async upload(
    path: string,
    fields: Record<string, string>,
    files: Record<string, { name: string; content: string | Buffer }>,
  ): Promise<Exchange> {
    const form = new FormData();
    form.set('_csrf', formField(this.page.body, '_csrf') ?? '');
    for (const [key, value] of Object.entries(fields)) form.set(key, value);
    for (const [key, file] of Object.entries(files)) form.set(key, new Blob([file.content]), file.name);
    this.page = (await this.browser.follow(new URL(path, this.server.url).toString(), { body: form })).last;
    return this.page;
  }

  /** The role the header shows. */
  get role(): string | undefined {
    return /id="admin-role" data-role="([^"]+)"/.exec(this.page.body)?.[1];
  }
}

/**
 * Every row of every table (the sessions' last use left out: reading a page may touch it), so a
 * test can tell that a refused request wrote nothing anywhere.
 */
export async function snapshot(db: Kysely<unknown>): Promise<string> {
  const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
  const dump: Record<string, unknown[]> = {};
  const untyped = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const table of tables) {
    const rows = await untyped.selectFrom(table).selectAll().execute();
    dump[table] = rows
      .map((row) => {
        const { last_seen_at: _seen, ...rest } = row as Record<string, unknown>;
        return JSON.stringify(table === 'sessions' ? rest : row);
      })
      .sort();
  }
  return JSON.stringify(dump);
}
