import type { SeatPool } from '../../../licences/seats.js';
import type { AdminRequest } from '../page.js';

/**
 * Gives or takes back a seat of `pool` for every selected user through engine.seats: an
 * allocation is all or nothing (a full pool refuses with the number missing and writes nothing).
 * Returns how many users changed.
 */
export async function bulkSeats(
  { req, admin, site }: AdminRequest,
  ids: readonly string[],
  pool: SeatPool,
  action: 'allocate' | 'release',
): Promise<number> {
  const seats = site.context.engine.seats;
  const actor = admin.user.username;
  const changed =
    action === 'allocate'
      ? (await seats.allocate(ids, pool, actor, 'hand')).allocated
      : await seats.release(ids, pool, actor);
  await site.auditChange(admin, `admin.users.seats.${action}`, { users: ids, pool }, { changed }, req.ip);
  return changed;
}

/**
 * Disables every selected user who is not disabled yet and ends their sessions on every server,
 * through the same engine operation as `passgate user disable`; each change is audited with the administrator.
 */
export async function bulkDisable(
  { req, admin, site }: AdminRequest,
  ids: readonly string[],
): Promise<number> {
  const { core, engine } = site.context;
  let changed = 0;
  for (const id of ids) {
    const user = await core.users.findById(id);
    if (!user || user.disabled) continue;
    const outcome = await engine.userOperations.setDisabled(user, true, {
      by: admin.user.username,
      address: req.ip ?? null,
    });
    await site.auditChange(
      admin,
      'admin.user.disable',
      { disabled: false },
      { disabled: true, sessionsEnded: outcome.sessionsEnded.length },
      req.ip,
      { userId: user.id, username: user.username },
    );
    changed++;
  }
  return changed;
}

/** Clears the failure count and lock of every locked token of the selected users (as `passgate token unlock`). */
export async function bulkUnlock(
  { req, admin, site }: AdminRequest,
  ids: readonly string[],
): Promise<number> {
  const { core, engine } = site.context;
  let changed = 0;
  for (const id of ids) {
    const user = await core.users.findById(id);
    if (!user) continue;
    for (const token of await engine.userOperations.unlockLocked(user)) {
      await site.auditChange(
        admin,
        'admin.token.unlock',
        { token: token.id, failures: token.failures, lockedUntil: token.lockedUntil },
        { token: token.id, failures: 0, lockedUntil: null },
        req.ip,
        { userId: user.id, username: user.username },
      );
      changed++;
    }
  }
  return changed;
}
