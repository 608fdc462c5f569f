import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { DeviceDecider } from '../../devices/approvals.js';
import { DeviceErrors } from '../../devices/errors.js';
import { PassgateError } from '../../errors.js';
import type { Device } from '../../store/repositories/devices.js';
import type { User } from '../../store/repositories/users.js';
import { formatters } from '../../web/formatters.js';
import type { DeviceSiteDeps } from './deps.js';
import { DeviceSiteErrors } from './errors.js';
import { DEVICE_PUBLIC_ID, DEVICES_DOOR } from './login-flows.js';
import { deviceSessionOf } from './session.js';

/** The owner's actions, and the notice each leaves on the list (`?done=`). */
const DONE = { approve: 'approved', reject: 'rejected', remove: 'removed' } as const;
const NOTICES = new Set<string>(Object.values(DONE));

/** What the owner may do with a device in each state (an owner never undoes a rejection). */
const ACTIONS: Record<Device['state'], readonly string[]> = {
  pending: ['approve', 'reject'],
  approved: ['reject', 'remove'],
  rejected: [],
};

/**
 * The Device Provisioning site under `/devices`: the link a user is sent for a held ActiveSync
 * device (`/devices/approve/<id>`) signs them in through the hosted login with a second factor,
 * shows the device (type, model, first seen, from where) and lets them approve or reject it; the
 * list shows their devices and removes one. A device that is not the user's is "not found", like
 * one that does not exist. Every change goes through the engine's device approvals (audited);
 * every form post carries a CSRF token bound to the session.
 */
export function createDeviceSiteRouter(deps: DeviceSiteDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 10 });
  router.use('/devices', deps.sessions.middleware());

  router.get('/devices', async (req, res) => {
    const user = await signedIn(deps, req, res);
    if (!user) return deps.flows.start(res, { next: '/devices' });
    await showList(deps, req, res, user);
  });

  router.get('/devices/signed-out', async (req, res) => {
    res.type('html').send(await deps.render(req, 'devices/signed-out', { expired: false }));
  });

  router.get('/devices/approve/:id', async (req, res) => {
    const id = publicId(req);
    const user = await signedIn(deps, req, res);
    if (!user) return deps.flows.start(res, { next: `/devices/approve/${id}` });
    const device = await deps.approvals.owned(id, owner(user));
    const html = await deps.render(req, 'devices/device', {
      csrfToken: deps.csrf.token(req, res),
      device: view(device),
      format: formatters(deps.language(req)),
    });
    res.type('html').send(html);
  });

  for (const action of Object.keys(DONE) as (keyof typeof DONE)[]) {
    router.post(`/devices/:id/${action}`, form, deps.csrf.protect, async (req, res) => {
      const user = await signedIn(deps, req, res);
      if (!user) throw DeviceSiteErrors.DEVICES_SIGNED_OUT();
      await deps.approvals[action](publicId(req), owner(user), {
        address: req.ip ?? null,
        door: DEVICES_DOOR,
      });
      res.redirect(303, `/devices?done=${DONE[action]}`);
    });
  }

  router.post('/devices/signout', form, deps.csrf.protect, async (req, res) => {
    await deps.sessions.end(req, res);
    res.redirect(303, '/devices/signed-out');
  });

  router.use(async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof PassgateError) || error.status >= 500 || !req.path.startsWith('/devices'))
      return next(error);
    try {
      const user = !DeviceSiteErrors.is(error, 'DEVICES_SIGNED_OUT') && (await signedIn(deps, req, res));
      if (user) return await showList(deps, req, res, user, error);
      const html = await deps.render(req, 'devices/signed-out', { expired: true });
      res.status(401).type('html').send(html);
    } catch (failure) {
      next(failure);
    }
  });
  return router;
}

/** The signed-in user, or undefined (the session ends when the user was disabled or removed since). */
async function signedIn(deps: DeviceSiteDeps, req: Request, res: Response): Promise<User | undefined> {
  const session = deviceSessionOf(req);
  if (!session) return undefined;
  const user = await deps.users.findById(session.userId);
  if (user && !user.disabled && user.removedAt === null) return user;
  await deps.sessions.end(req, res);
  return undefined;
}

/** The device id of the request's path; a malformed one is no device at all. */
function publicId(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!DEVICE_PUBLIC_ID.test(id)) throw DeviceErrors.DEVICE_NOT_FOUND({ detail: 'malformed device id' });
  return id;
}

const owner = (user: User): DeviceDecider => ({ kind: 'owner', user: { id: user.id, name: user.username } });

/** A device as the pages show it, with what its owner may do. */
const view = (device: Device) => ({ ...device, actions: ACTIONS[device.state] });

/** The user's devices, with the notice of an action done or the error of one refused. */
async function showList(
  deps: DeviceSiteDeps,
  req: Request,
  res: Response,
  user: User,
  error?: PassgateError,
): Promise<void> {
  const devices = await deps.devicesOf(user.id);
  const done = typeof req.query.done === 'string' && NOTICES.has(req.query.done) ? req.query.done : null;
  const html = await deps.render(req, 'devices/home', {
    csrfToken: deps.csrf.token(req, res),
    name: user.displayName ?? user.username,
    devices: devices.map(view),
    done: error ? null : done,
    error: error ? { code: error.code, message: error.publicMessage } : null,
    format: formatters(deps.language(req)),
  });
  res
    .status(error?.status ?? 200)
    .type('html')
    .send(html);
}
