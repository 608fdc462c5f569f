import { Counter } from 'prom-client';
import type { Logger } from '../../observability/logger.js';
import type { DoorContext } from '../door.js';
import { deviceGate } from './device-gate.js';
import { sendDeviceHeldNotice } from './device-notice.js';

/**
 * The device approval of the ActiveSync door wired to the server's parts: the engine's
 * DeviceApprovals, the dispatcher and the `messages` texts for the owner's notice, and the
 * `passgate_activesync_devices_refused_total` metric.
 */
export function deviceGateOf(context: DoorContext, logger: Logger) {
  const { core, engine, web, publicUrl, metrics, clock } = context;
  const refused = new Counter({
    name: 'passgate_activesync_devices_refused_total',
    help: 'ActiveSync requests refused by device approval: held (not yet approved), refused (rejected), unidentified (no DeviceId).',
    labelNames: ['verdict'],
    registers: [metrics.registry],
  });
  const { translations } = web;
  const notice = {
    dispatcher: engine.dispatcher,
    translate: (language: string, key: string, values?: Record<string, unknown>) =>
      String(translations.i18n.t(key, { lng: language, ns: 'messages', ...values })),
    languages: translations.languages,
    defaultLanguage: translations.defaultLanguage,
    audit: core.audit,
    logger,
    clock,
    publicUrl,
  };
  return deviceGate({
    approvals: core.devices,
    devices: core.repositories.devices,
    geo: core.geo,
    clock,
    logger,
    notify: (user, device, address) => sendDeviceHeldNotice(notice, user, device, { address }),
    refused: (verdict) => refused.inc({ verdict }),
  });
}
