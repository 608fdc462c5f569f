import { z } from 'zod';
import { credentialCacheSetting } from './credential-cache-schema.js';
import { sessionIdleMinutesSetting, sessionMaxHoursSetting } from './site-session-schema.js';

/** The longest `activesync.siteSessionMaxHours` allowed: no Device Provisioning cookie is valid longer. */
export const DEVICE_SITE_SESSION_MAX_HOURS_LIMIT = 12;

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), { message: 'expected an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

/** The ActiveSync door (`src/doors/activesync/`): Passgate as the reverse proxy in front of the mail server's EAS endpoint. */
export const activesyncSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Answer `/Microsoft-Server-ActiveSync` (and Autodiscover) by forwarding to `upstream`.'),
    upstream: httpUrl
      .optional()
      .describe(
        "The mail server's ActiveSync endpoint, e.g. `https://mail.example.com/Microsoft-Server-ActiveSync`; the path and query after Passgate's `/Microsoft-Server-ActiveSync` are appended.",
      ),
    autodiscover: httpUrl
      .optional()
      .describe(
        "The mail server's Autodiscover endpoint; absent: `/Autodiscover/Autodiscover.xml` on the upstream's host.",
      ),
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM file of the CA that signed the upstream's certificate (https); absent: the system's CAs.",
      ),
    checkCredentials: z
      .boolean()
      .default(true)
      .describe(
        "Check each request's Basic credentials against the directory (first factor and its lockout shield) before forwarding; a wrong or throttled password is answered 401 by Passgate.",
      ),
    siteSessionIdleMinutes: sessionIdleMinutesSetting('A Device Provisioning site (`/devices`)'),
    siteSessionMaxHours: sessionMaxHoursSetting(
      'A Device Provisioning site (`/devices`)',
      DEVICE_SITE_SESSION_MAX_HOURS_LIMIT,
    ),
    credentialCache: credentialCacheSetting({
      remembered: "a device's good password",
      spared: 'its next requests are not checked against the directory',
      tradeOff: 'can keep syncing',
      entries: 'Devices (user and DeviceId)',
      summary: 'The short-lived cache of good ActiveSync passwords (docs/activesync.md).',
      defaultMinutes: 10,
    }),
    oldPasswordNotice: z
      .boolean()
      .default(true)
      .describe(
        'Tell the user (e-mail, else SMS, in their language) once per device and incident that a device keeps sending a refused password.',
      ),
    deviceApproval: z
      .boolean()
      .default(true)
      .describe(
        'Hold every new device (DeviceId and DeviceType of a user) until its owner approves it on the Device Provisioning site (`/devices/`); held and rejected devices get the answer Exchange gives a blocked device. Needs `checkCredentials`.',
      ),
    connectTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(300)
      .default(10)
      .describe('How long a connection to the upstream may take before the device is answered 502.'),
  })
  .prefault({})
  .refine((settings) => !settings.enabled || settings.upstream, {
    message: 'the ActiveSync door needs `upstream`',
  })
  .refine((settings) => !settings.deviceApproval || settings.checkCredentials, {
    message:
      '`deviceApproval` needs `checkCredentials` (the owner of a device is the user of its credentials)',
    path: ['deviceApproval'],
  })
  .describe('Exchange ActiveSync gateway (docs/activesync.md).');
