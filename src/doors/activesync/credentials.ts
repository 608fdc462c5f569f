import type { NextFunction, Request, Response } from 'express';
import { Counter } from 'prom-client';
import { DirectoryErrors } from '../../directory/errors.js';
import { CredentialCache, unchangedSince } from '../../engine/credential-cache.js';
import { EngineErrors } from '../../engine/errors.js';
import type { FirstFactor } from '../../engine/first-factor.js';
import { PassgateError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { normalizeUsername, type User, type UsersRepository } from '../../store/repositories/users.js';
import type { DoorContext } from '../door.js';
import { OldPasswordNotice } from './old-password-notice.js';
import { type RequestDevice, requestDevice } from './request-device.js';

/** The user name and password of a request's Basic credentials, or undefined when it has none. */
export function basicCredentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}

/** What the check is made with; the cache and the notice are optional (turned off in the configuration). */
export interface CredentialCheckDeps {
  firstFactor: Pick<FirstFactor, 'authenticate'>;
  users: Pick<UsersRepository, 'findById'>;
  cache?: CredentialCache;
  notice?: OldPasswordNotice;
  /** Told of every check: `cache` (answered from the cache) or `directory` (the first factor ran). */
  checked?(path: 'cache' | 'directory'): void;
}

/** The request's user and device once its credentials are good (`res.locals`), for what comes after the check (device approval). */
export interface CheckedDevice {
  user: User;
  device?: RequestDevice;
}

/** The user and device a request's credentials were checked for, once they were good. */
export function checkedDevice(res: Response): CheckedDevice | undefined {
  return res.locals.activesync as CheckedDevice | undefined;
}

/** The refusals that say the device's password is not (or no longer) good: they end its cache entries and may start an incident. */
const refusesPassword = (error: unknown) =>
  DirectoryErrors.is(error, 'INVALID_CREDENTIALS') || EngineErrors.is(error, 'THROTTLED');

/**
 * Checks a device's Basic credentials before the request goes upstream: from the short-lived
 * cache of good passwords when this user's device sent the same password lately (and the user
 * has not changed in the store since: disabled, removed, password changed through Passgate),
 * else with the engine's first factor, its lockout shield included. A wrong or throttled
 * password is answered 401 here, so a device with an old password never reaches the directory
 * past the shield's margin, and its user is told once (OldPasswordNotice).
 */
export function checkCredentials(deps: CredentialCheckDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const credentials = basicCredentials(req.headers.authorization);
    const refuse = (status: number) => {
      if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="ActiveSync"');
      res
        .status(status)
        .type('text')
        .send(status === 401 ? '401 Unauthorized\n' : '503 Service Unavailable\n');
    };
    if (!credentials) return refuse(401);
    const name = normalizeUsername(credentials.username);
    const query = req.originalUrl.indexOf('?');
    const device = query < 0 ? undefined : requestDevice(req.originalUrl.slice(query));
    const deviceId = device?.deviceId ?? '';
    const address = req.ip ?? req.socket.remoteAddress ?? '';
    try {
      const cached = await fromCache(deps, name, deviceId, credentials.password);
      if (cached) {
        deps.checked?.('cache');
        res.locals.activesync = { user: cached, ...(device ? { device } : {}) } satisfies CheckedDevice;
        return next();
      }
      deps.checked?.('directory');
      const user = await deps.firstFactor.authenticate(credentials.username, credentials.password, {
        address,
        door: 'activesync',
      });
      deps.cache?.remember(name, deviceId, credentials.password, {
        userId: user.id,
        userStamp: user.updatedAt,
      });
      if (device) await deps.notice?.accepted(name, device);
      res.locals.activesync = { user, ...(device ? { device } : {}) } satisfies CheckedDevice;
    } catch (error) {
      if (!(error instanceof PassgateError)) return next(error);
      // The directory or the database is away: not the user's fault, the device retries later.
      if (error.status === 503) return refuse(503);
      const entry = deps.cache?.forgetDevice(name, deviceId);
      deps.cache?.forget({ username: name, ...(entry ? { userId: entry.userId } : {}) });
      if (device && refusesPassword(error)) await deps.notice?.refused(name, device, address).catch(next);
      return refuse(401);
    }
    next();
  };
}

/**
 * The user when the cache knows this password for this device and the user's row has not
 * changed since (one read of the store, no directory); an entry that no longer holds is dropped.
 */
async function fromCache(
  deps: CredentialCheckDeps,
  name: string,
  deviceId: string,
  password: string,
): Promise<User | undefined> {
  const signIn = deps.cache?.match(name, deviceId, password);
  if (!signIn) return undefined;
  const user = unchangedSince(await deps.users.findById(signIn.userId), signIn);
  if (user) return user;
  deps.cache?.forget({ username: name, userId: signIn.userId });
  return undefined;
}

/**
 * The credential check as the door runs it, built from the door's context and `activesync`
 * settings: the cache (unless `credentialCache.minutes` is 0), the old-password notice (unless
 * turned off) and the metric of checks by path.
 */
export function createCredentialCheck({ core, engine, web, metrics }: DoorContext, logger: Logger) {
  const settings = core.config.activesync;
  const checks = new Counter({
    name: 'passgate_activesync_credential_checks_total',
    help: "ActiveSync requests' credential checks, by path: `cache` (a remembered good password, no directory) or `directory` (the first factor).",
    labelNames: ['path'],
    registers: [metrics.registry],
  });
  const { minutes, maxEntries } = settings.credentialCache;
  const { i18n, languages, defaultLanguage } = web.translations;
  return checkCredentials({
    firstFactor: engine.firstFactor,
    users: core.users,
    ...(minutes > 0
      ? { cache: new CredentialCache({ ttlMs: minutes * 60_000, maxEntries, clock: core.clock }) }
      : {}),
    ...(settings.oldPasswordNotice
      ? {
          notice: new OldPasswordNotice({
            throttle: core.throttle,
            directory: core.directory,
            dispatcher: engine.dispatcher,
            translate: (lng, key, values) => String(i18n.t(key, { lng, ns: 'messages', ...values })),
            languages,
            defaultLanguage,
            audit: core.audit,
            logger,
            clock: core.clock,
          }),
        }
      : {}),
    checked: (path) => checks.inc({ path }),
  });
}
