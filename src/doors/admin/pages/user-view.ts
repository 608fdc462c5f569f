import type { Request } from 'express';
import { SEAT_POOLS } from '../../../licences/seats.js';
import type { User } from '../../../store/repositories/users.js';
import { AdminErrors } from '../errors.js';
import type { AdminRequest } from '../page.js';
import { allows } from '../permissions.js';
import { activesyncOn } from './devices.js';

/** How many of a user's last sign-in attempts the page shows. */
export const ATTEMPTS_SHOWN = 20;

/** The path of a user's page. */
export const userPath = (id: string) => `/admin/users/${encodeURIComponent(id)}`;

/** The user of a `:id` route; ADMIN_NOT_FOUND (404) for an id nobody has. */
export async function userOfRoute({ req, site }: Pick<AdminRequest, 'req' | 'site'>): Promise<User> {
  const id = String(req.params.id ?? '');
  const user = id.length <= 100 ? await site.context.core.users.findById(id) : undefined;
  if (!user) throw AdminErrors.ADMIN_NOT_FOUND({ detail: `no user with id "${id.slice(0, 100)}"` });
  return user;
}

const iso = (at: number | null | undefined) =>
  at === null || at === undefined ? '' : new Date(at).toISOString().replace('T', ' ').slice(0, 16);

/** The outcome of an action, read back after its redirect (`?done=` or `?error=`, `&missing=`). */
function readOutcome(query: Request['query']): { done?: string; error?: string; missing?: string } {
  const word = (value: unknown) =>
    typeof value === 'string' && /^[A-Za-z_.-]{1,60}$/.test(value) ? value : undefined;
  const missing =
    typeof query.missing === 'string' && /^\d{1,9}$/.test(query.missing) ? query.missing : undefined;
  return {
    ...(word(query.done) ? { done: word(query.done) } : {}),
    ...(word(query.error) ? { error: word(query.error) } : {}),
    ...(missing ? { missing } : {}),
  };
}

/**
 * A user's page: directory attributes, tokens and passcode channels, learned networks, sessions,
 * the last sign-in attempts and seats, with the forms the administrator's role may use.
 */
export async function showUser(request: AdminRequest): Promise<void> {
  const { req, admin, site, render } = request;
  const { core, engine } = site.context;
  const user = await userOfRoute(request);
  const now = core.clock();
  const devicesShown = activesyncOn(core.config);
  const [tokens, networks, sessions, attempts, seats, devices] = await Promise.all([
    core.tokens.listByUser(user.id),
    core.learnedTrust.list(user.id),
    engine.sessions.list({ userId: user.id }),
    core.repositories.signInAttempts.recentOfUser(user.username, ATTEMPTS_SHOWN),
    engine.seats.heldBy(user.id),
    devicesShown ? core.repositories.devices.listOfUser(user.id) : [],
  ]);
  const shown = tokens.map((token) => {
    const type = core.tokenTypes.get(token.type);
    const locked = token.lockedUntil !== null && token.lockedUntil > now;
    return {
      id: token.id,
      type: token.type,
      title: type?.info.title ?? token.type,
      sent: type?.info.source === 'sent',
      resyncable: type?.resync !== undefined,
      settings: type?.describe.settings(token) ?? '',
      serial: token.serial ?? '',
      description: token.description ?? '',
      hardware: token.hardware,
      status: token.status,
      locked,
      lockedUntil: iso(token.lockedUntil),
      failures: token.failures,
      destination: token.destination ?? '',
      createdAt: iso(token.createdAt),
      lastUsedAt: iso(token.lastUsedAt),
    };
  });
  const can = (permission: Parameters<typeof allows>[1]) => allows(admin.role, permission);
  await render('user', {
    user: {
      ...user,
      status: user.removedAt !== null ? 'removed' : user.disabled ? 'disabled' : 'enabled',
      createdAt: iso(user.createdAt),
      syncedAt: iso(user.syncedAt),
      removedAt: iso(user.removedAt),
      attributes: Object.entries(user.attributes).map(([name, value]) => ({
        name,
        value: typeof value === 'string' ? value : JSON.stringify(value),
      })),
    },
    path: userPath(user.id),
    tokens: shown.filter((t) => !t.sent),
    channels: shown.filter((t) => t.sent),
    enrollable: core.tokenTypes.enrollable().map((t) => t.info.type),
    networks: networks.map((n) => ({
      ...n,
      trustedUntil: iso(n.trustedUntil),
      lastSuccessAt: iso(n.lastSuccessAt),
    })),
    sessions: sessions.map((s) => ({
      id: s.id,
      createdAt: iso(s.createdAt),
      lastSeenAt: iso(s.lastSeenAt),
      from: [s.address, s.country].filter(Boolean).join(' '),
      assurance: s.acr.endsWith(':mfa') ? 'mfa' : 'password',
      applications: s.applications.map((app) => `${app.door}:${app.application}`).join(', '),
    })),
    attempts: attempts.map((a) => ({
      at: iso(a.at),
      door: a.door,
      application: a.application ?? '',
      from: [a.address, a.country].filter(Boolean).join(' '),
      result: a.result,
      method: a.method ?? '',
      reason: a.reason ?? '',
    })),
    seats: SEAT_POOLS.map((pool) => ({ pool, held: seats.includes(pool) })),
    devices: devices.map((d) => ({
      type: d.deviceType,
      model: d.model ?? '',
      state: d.state,
      firstSeen: iso(d.firstSeen.at),
      lastSeen: iso(d.lastSeen.at),
    })),
    devicesShown,
    devicesHref: `/admin/devices?${new URLSearchParams({ user: user.username })}`,
    can: {
      users: can('users.write'),
      tokens: can('tokens.write'),
      sessions: can('sessions.write'),
      seats: can('seats.write'),
    },
    outcome: readOutcome(req.query),
  });
}
