import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.js';
import { StoreErrors } from '../errors.js';
import type { Tables, UserRow } from '../tables.js';
import { isUniqueViolation } from '../unique-violation.js';

/** A user as the rest of Passgate sees it (never with a password hash). */
export interface User {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  mobile: string | null;
  groups: string[];
  disabled: boolean;
  source: string;
  createdAt: number;
  updatedAt: number;
}

/** Fields to create a user with. */
export interface NewUser {
  username: string;
  displayName?: string | null;
  email?: string | null;
  mobile?: string | null;
  groups?: string[];
  disabled?: boolean;
  passwordHash?: string | null;
  source?: string;
}

/** Lower-cases and trims a login name, the one canonical form used for lookups. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** Persistence of users. */
export class UsersRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Creates a user; raises CONFLICT when the user name is taken. */
  async create(input: NewUser): Promise<User> {
    const now = this.clock();
    const row: UserRow = {
      id: randomUUID(),
      username: normalizeUsername(input.username),
      display_name: input.displayName ?? null,
      email: input.email ?? null,
      mobile: input.mobile ?? null,
      groups: JSON.stringify(input.groups ?? []),
      disabled: input.disabled ? 1 : 0,
      password_hash: input.passwordHash ?? null,
      source: input.source ?? 'local',
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw StoreErrors.CONFLICT({ detail: `user "${row.username}" already exists`, cause: error });
      }
      throw error;
    }
    return toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const row = await this.selectByUsername(username);
    return row && toUser(row);
  }

  /** The user with their password hash, for the local directory only. */
  async findCredentials(username: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const row = await this.selectByUsername(username);
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  /** Users ordered by name, a page at a time. */
  async list(options: { limit?: number; offset?: number } = {}): Promise<User[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('username')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0)
      .execute();
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** Enables or disables a user; raises NOT_FOUND for an unknown name. */
  async setDisabled(username: string, disabled: boolean): Promise<User> {
    const result = await this.db
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0, updated_at: this.clock() })
      .where('username', '=', normalizeUsername(username))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw StoreErrors.NOT_FOUND({ detail: `no user "${username}"` });
    return (await this.findByUsername(username))!;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
  }

  private selectByUsername(username: string): Promise<Selectable<UserRow> | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', normalizeUsername(username))
      .executeTakeFirst();
  }
}

function toUser(row: Selectable<UserRow>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    mobile: row.mobile,
    groups: JSON.parse(row.groups) as string[],
    disabled: row.disabled === 1,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
