import { PassgateError } from '../../../errors.js';
import { missingSeats } from '../../../licences/errors.js';
import { SEAT_POOLS, type SeatPool } from '../../../licences/seats.js';
import { TrustErrors } from '../../../policy/authentication/context/errors.js';
import type { User } from '../../../store/repositories/users.js';
import { TokenErrors } from '../../../tokens/errors.js';
import { parseSecret } from '../../../tokens/secrets.js';
import type { EnrolmentResult } from '../../../tokens/token-type.js';
import { qrCodeDataUrl } from '../../qr-code.js';
import { AdminErrors } from '../errors.js';
import type { AdminRequest, AdminRoute } from '../page.js';
import type { Permission } from '../permissions.js';
import { userOfRoute, userPath } from './user-view.js';

/** The refusals an action shows on the user's page (`admin:user.errors.<code>`); others are errors of the site. */
export const SHOWN_ERRORS = new Set([
  'USER_NOT_LOCAL',
  'USER_PASSWORD_TOO_SHORT',
  'TOKEN_NOT_OF_USER',
  'TOKEN_NOT_FOUND',
  'TOKEN_SERIAL_NOT_FOUND',
  'TOKEN_NOT_HARDWARE',
  'TOKEN_INVALID_SECRET',
  'TOKEN_INVALID_PARAMETERS',
  'TOKEN_RESYNC_FAILED',
  'CONFLICT',
  'TRUST_NETWORK_NOT_FOUND',
  'TRUST_ADDRESS_INVALID',
  'TRUST_INVALID_ARGUMENTS',
  'ADMIN_SESSION_NOT_FOUND',
  'ADMIN_BAD_INPUT',
  'SEATS_FULL',
  'LICENCE_EXPIRED',
]);

/** A text field of a posted form, cut to `max` characters ('' when absent or not text). */
export function field(body: unknown, name: string, max = 200): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** What an action does; it answers itself (a page shown once) or returns the word `?done=` reports. */
type Act = (request: AdminRequest, user: User) => Promise<string | undefined>;

/**
 * A form post on a user's page: the user from `:id` (404 when unknown), the action, then back to
 * the page with what it did, or with the refusal's code when the input was refused (nothing written).
 */
function userAction(path: string, permission: Permission, act: Act): AdminRoute {
  return {
    method: 'post',
    path: `/admin/users/:id${path}`,
    permission,
    async handle(request) {
      const user = await userOfRoute(request);
      const back = (outcome: Record<string, string>) =>
        request.res.redirect(303, `${userPath(user.id)}?${new URLSearchParams(outcome)}`);
      try {
        const done = await act(request, user);
        if (done !== undefined) back({ done });
      } catch (error) {
        const missing = missingSeats(error);
        if (missing !== undefined) return back({ error: 'SEATS_FULL', missing: String(missing) });
        if (error instanceof PassgateError && error.status < 500 && SHOWN_ERRORS.has(error.code))
          return back({ error: error.code });
        throw error;
      }
    },
  };
}

const subjectOf = (user: User) => ({ userId: user.id, username: user.username });
const revocationBy = ({ req, admin }: AdminRequest) => ({
  by: admin.user.username,
  address: req.ip ?? null,
});
const tokenState = (token: {
  id: string;
  type: string;
  status: string;
  failures: number;
  lockedUntil: number | null;
}) => ({
  tokenId: token.id,
  tokenType: token.type,
  status: token.status,
  failures: token.failures,
  lockedUntil: token.lockedUntil,
});

function disableRoute(disabled: boolean): AdminRoute {
  return userAction(disabled ? '/disable' : '/enable', 'users.write', async (request, user) => {
    const outcome = await request.site.context.engine.userOperations.setDisabled(
      user,
      disabled,
      revocationBy(request),
    );
    await request.site.auditChange(
      request.admin,
      disabled ? 'admin.user.disable' : 'admin.user.enable',
      { disabled: user.disabled },
      { disabled, sessionsEnded: outcome.sessionsEnded.length },
      request.req.ip,
      subjectOf(user),
    );
    return disabled ? 'disabled' : 'enabled';
  });
}

const resetPassword = userAction('/password', 'users.write', async (request, user) => {
  await request.site.context.engine.userOperations.resetPassword(
    user,
    field(request.req.body, 'password', 1024),
  );
  // The password itself is never recorded: the log says that it changed.
  await request.site.auditChange(
    request.admin,
    'admin.user.password',
    { password: false },
    { password: true },
    request.req.ip,
    subjectOf(user),
  );
  return 'password';
});

/** The enrolment a form asks for: a TOTP app (secret generated), a hardware token (secret typed) or backup codes. */
function enrolmentOf(body: unknown) {
  const kind = field(body, 'kind', 20);
  if (kind === 'software') return { type: 'totp' };
  if (kind === 'backup') return { type: 'backup', settings: { count: field(body, 'count', 3) || '10' } };
  if (kind !== 'hardware') throw AdminErrors.ADMIN_BAD_INPUT({ detail: `enrolment kind "${kind}"` });
  const type = field(body, 'type', 10);
  if (type !== 'totp' && type !== 'hotp')
    throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: `hardware token type "${type}"` });
  const serial = field(body, 'serial', 100).trim();
  if (serial === '')
    throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: 'a hardware token needs its serial' });
  const encoding = field(body, 'encoding', 10) === 'base32' ? 'base32' : 'hex';
  const settings: Record<string, unknown> = { hardware: true, digits: field(body, 'digits', 2) || '6' };
  if (type === 'totp') settings.period = field(body, 'period', 4) || '30';
  return { type, serial, settings, secret: parseSecret(field(body, 'secret', 1024), encoding) };
}

const enrol = userAction('/tokens/enrol', 'tokens.write', async (request, user) => {
  const { req, res, admin, site, render } = request;
  const result: EnrolmentResult = await site.context.engine.userOperations.enrol(user, enrolmentOf(req.body));
  const { token } = result;
  await site.auditChange(
    admin,
    'admin.token.add',
    null,
    { tokenId: token.id, tokenType: token.type, serial: token.serial, hardware: token.hardware },
    req.ip,
    subjectOf(user),
  );
  // What only this answer shows: the QR code and secret of a generated seed, or the backup codes.
  res.set('Cache-Control', 'no-store');
  await render('user-enrolled', {
    user,
    path: userPath(user.id),
    token,
    secret: result.secretBase32 ?? null,
    uri: result.otpauthUri ?? null,
    qrCode: result.otpauthUri ? await qrCodeDataUrl(result.otpauthUri) : null,
    codes: result.codes ?? [],
  });
  return undefined;
});

const assign = userAction('/tokens/assign', 'tokens.write', async (request, user) => {
  const { before, token } = await request.site.context.engine.userOperations.assignBySerial(
    user,
    field(request.req.body, 'serial', 100),
  );
  await request.site.auditChange(
    request.admin,
    'admin.token.assign',
    { tokenId: before.id, serial: before.serial, ownerId: before.userId },
    { tokenId: token.id, serial: token.serial, ownerId: token.userId },
    request.req.ip,
    subjectOf(user),
  );
  return 'assigned';
});

const resync = userAction('/tokens/:token/resync', 'tokens.write', async (request, user) => {
  const operations = request.site.context.engine.userOperations;
  const token = await operations.requireToken(String(request.req.params.token), user);
  const body = request.req.body;
  const result = await operations.resync(token, [
    field(body, 'code1', 10).trim(),
    field(body, 'code2', 10).trim(),
  ]);
  await request.site.auditChange(
    request.admin,
    'admin.token.resync',
    { tokenId: token.id, counter: token.counter, drift: token.drift },
    { tokenId: token.id, ...result },
    request.req.ip,
    subjectOf(user),
  );
  return 'resynced';
});

function tokenRoute(action: 'remove' | 'unlock' | 'disable' | 'enable'): AdminRoute {
  return userAction(`/tokens/:token/${action}`, 'tokens.write', async (request, user) => {
    const operations = request.site.context.engine.userOperations;
    const token = await operations.requireToken(String(request.req.params.token), user);
    await operations.changeToken(token, action);
    const after =
      action === 'remove'
        ? null
        : tokenState((await request.site.context.core.tokens.findById(token.id)) ?? token);
    await request.site.auditChange(
      request.admin,
      `admin.token.${action}`,
      tokenState(token),
      after,
      request.req.ip,
      subjectOf(user),
    );
    return `token-${action}`;
  });
}

const revokeNetwork = userAction('/networks/revoke', 'users.write', async (request, user) => {
  const body = request.req.body;
  const all = field(body, 'all', 3) === '1';
  const network = field(body, 'network', 100).trim();
  if (!all && network === '') throw TrustErrors.TRUST_INVALID_ARGUMENTS({ detail: 'no network named' });
  const outcome = await request.site.context.engine.userOperations.revokeNetwork(
    user,
    all ? undefined : network,
  );
  await request.site.auditChange(
    request.admin,
    'admin.trust.revoke',
    { network: outcome.network ?? null, all },
    { revoked: outcome.revoked },
    request.req.ip,
    subjectOf(user),
  );
  return 'networks';
});

const endSession = userAction('/sessions/:session/end', 'sessions.write', async (request, user) => {
  const sessions = request.site.context.engine.sessions;
  const found = await sessions.byId(String(request.req.params.session).slice(0, 100));
  if (!found || found.userId !== user.id) throw AdminErrors.ADMIN_SESSION_NOT_FOUND();
  // The path of the user's own "sign out" of another device: its applications are told.
  const ended = await sessions.endElsewhere(found, { reason: 'revoked', ...revocationBy(request) }, 'admin');
  await request.site.auditChange(
    request.admin,
    'admin.session.end',
    { session: found.id, live: !found.revoked },
    { session: found.id, live: false },
    request.req.ip,
    subjectOf(user),
  );
  return ended ? 'session' : 'session-over';
});

const endAllSessions = userAction('/sessions/end-all', 'sessions.write', async (request, user) => {
  const ended = await request.site.context.engine.sessions.revokeUser(user.id, {
    reason: 'revoked',
    ...revocationBy(request),
  });
  await request.site.auditChange(
    request.admin,
    'admin.session.end_all',
    null,
    { sessions: ended.length },
    request.req.ip,
    subjectOf(user),
  );
  return 'sessions';
});

function poolOf(body: unknown): SeatPool {
  const pool = field(body, 'pool', 10);
  if (!(SEAT_POOLS as readonly string[]).includes(pool))
    throw AdminErrors.ADMIN_BAD_INPUT({ detail: `seat pool "${pool}"` });
  return pool as SeatPool;
}

function seatRoute(action: 'allocate' | 'release'): AdminRoute {
  return userAction(`/seats/${action}`, 'seats.write', async (request, user) => {
    const pool = poolOf(request.req.body);
    const seats = request.site.context.engine.seats;
    const actor = request.admin.user.username;
    const changed =
      action === 'allocate'
        ? (await seats.allocate([user.id], pool, actor, 'hand')).allocated
        : await seats.release([user.id], pool, actor);
    await request.site.auditChange(
      request.admin,
      `admin.user.seats.${action}`,
      { pool, held: action === 'release' ? changed > 0 : changed === 0 },
      { pool, held: action === 'allocate' },
      request.req.ip,
      subjectOf(user),
    );
    return `seat-${action}`;
  });
}

/** Every form post of a user's page, each with the one permission it needs. */
export const USER_ACTION_ROUTES: readonly AdminRoute[] = [
  disableRoute(true),
  disableRoute(false),
  resetPassword,
  enrol,
  assign,
  resync,
  tokenRoute('unlock'),
  tokenRoute('disable'),
  tokenRoute('enable'),
  tokenRoute('remove'),
  revokeNetwork,
  endSession,
  endAllSessions,
  seatRoute('allocate'),
  seatRoute('release'),
];
