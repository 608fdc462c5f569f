import type { Router } from 'express';
import { BrowserBinding } from '../../login/browser-binding.js';
import type { DoorContext } from '../door.js';
import { SecondFactorSiteFlows } from '../site-sign-in.js';
import {
  DEVICES_DOOR,
  DEVICES_FLOW_COOKIE,
  DEVICES_FLOW_MINUTES,
  DEVICES_STEP_UP,
  type PendingDeviceSignIn,
  returnPath,
} from './login-flows.js';
import { createDeviceSiteRouter } from './routes.js';
import { deviceSessionOf, deviceSiteSessions } from './session.js';

/** The Device Provisioning site's parts, as its door hands them to the server. */
export interface DeviceSite {
  router: Router;
  flows: SecondFactorSiteFlows<PendingDeviceSignIn>;
}

/** The Device Provisioning site: its pages, its session, its sign-ins with a second factor. */
export function createDeviceSite(context: DoorContext): DeviceSite {
  const { core, engine, web } = context;
  const { config, box, clock } = core;
  const { translations } = web;
  const sessions = deviceSiteSessions(
    box,
    web.secureCookies,
    clock,
    {
      idleMinutes: config.activesync.siteSessionIdleMinutes,
      maxHours: config.activesync.siteSessionMaxHours,
    },
    core.repositories.revokedSessions,
    engine.sessions,
  );
  const binding = new BrowserBinding<PendingDeviceSignIn>({
    door: DEVICES_DOOR,
    cookie: DEVICES_FLOW_COOKIE,
    uidPrefix: 'dev-',
    lifetimeMs: DEVICES_FLOW_MINUTES * 60_000,
    flows: core.repositories.loginFlows,
    clock,
    secureCookies: web.secureCookies,
  });
  const flows = new SecondFactorSiteFlows<PendingDeviceSignIn>(binding, {
    door: DEVICES_DOOR,
    stepUp: DEVICES_STEP_UP,
    site: 'device provisioning',
    applicationName: () =>
      String(translations.i18n.t('devices:title', { lng: translations.defaultLanguage })),
    signedOutPath: '/devices/signed-out',
    signedIn: async (_req, res, result, pending) => {
      sessions.start(res, { userId: result.userId, ...(result.session ? { sso: result.session.id } : {}) });
      res.redirect(303, returnPath(pending));
    },
    refused: async (req, res) => {
      res
        .status(403)
        .type('html')
        .send(await web.render(req, 'devices/needs-mfa', {}));
    },
  });
  const router = createDeviceSiteRouter({
    sessions,
    flows,
    approvals: core.devices,
    devicesOf: (userId) => core.repositories.devices.listOfUser(userId),
    users: core.users,
    render: web.render,
    // Bound to the session: a form of one session is refused in another.
    csrf: web.csrf('devices-csrf', (req) => deviceSessionOf(req)?.sid ?? '', {
      name: 'passgate.devices.csrf',
    }),
    language: (req) => translations.detect(req),
    maxBodyBytes: config.server.maxBodyBytes,
  });
  return { router, flows };
}
