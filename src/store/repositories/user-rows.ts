import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { UserRow } from '../tables.js';
import type { DirectoryUser, User } from './user.js';

/** Lower-cases and trims a login name, the one canonical form used for lookups. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** A users row as the rest of Passgate sees it, shared by the local and directory repositories. */
export function toUser(row: Omit<Selectable<UserRow>, 'password_hash'>): User {
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
    externalId: row.external_id,
    dn: row.dn,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    syncedAt: row.synced_at,
    removedAt: row.removed_at,
  };
}

/** The values {@link directoryValues} returns. */
export type DirectoryValues = ReturnType<typeof directoryValues>;

/** The columns a directory describes, written alike at sign-in and by synchronisation. */
export function directoryValues(user: DirectoryUser, source: string) {
  return {
    username: normalizeUsername(user.username),
    display_name: user.displayName,
    email: user.email,
    mobile: user.mobile,
    groups: JSON.stringify(user.groups),
    disabled: user.disabled ? 1 : 0,
    dn: user.dn,
    attributes: JSON.stringify(user.attributes),
    source,
  };
}

/** The row of a directory user seen for the first time (at sign-in or by synchronisation). */
export function newDirectoryRow(
  values: DirectoryValues,
  externalId: string,
  now: number,
): Selectable<UserRow> {
  return {
    ...values,
    id: randomUUID(),
    password_hash: null,
    created_at: now,
    updated_at: now,
    external_id: externalId,
    synced_at: now,
    removed_at: null,
  };
}

/** Whether the directory's values differ from the stored row, so that only real changes are written. */
export function differs(row: Selectable<UserRow>, values: DirectoryValues): boolean {
  return (Object.keys(values) as Array<keyof typeof values>).some((key) => row[key] !== values[key]);
}
