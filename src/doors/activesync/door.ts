import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { Counter, Histogram } from 'prom-client';
import type { Door, DoorDefinition } from '../door.js';
import { checkedDevice, createCredentialCheck } from './credentials.js';
import { deviceGateOf } from './device-approval.js';
import { createForwarder, type Forward } from './forwarder.js';

/** Passgate's ActiveSync endpoint, as devices call it (any case), with what follows it. */
const ACTIVESYNC_PATH = /^\/Microsoft-Server-ActiveSync(?=[/?]|$)/i;
/** The Autodiscover endpoint devices try first, with its query. */
const AUTODISCOVER_PATH = /^\/Autodiscover\/Autodiscover\.xml(?=\?|$)/i;

/**
 * The ActiveSync door: Passgate as the streaming reverse proxy in front of the mail server's
 * Exchange ActiveSync endpoint and its Autodiscover (docs/activesync.md), checking the devices'
 * Basic credentials first when told to, then holding devices their owner has not approved.
 */
export const activesyncDoor: DoorDefinition<'activesync', Door> = {
  name: 'activesync',
  enabled: (config) => config.activesync.enabled,
  async create(context) {
    const { core, logger: parent, metrics } = context;
    const settings = core.config.activesync;
    const logger = parent.child({ module: 'activesync' });
    const upstream = new URL(settings.upstream!);
    const ca = settings.caFile ? readFileSync(settings.caFile) : undefined;
    const requests = new Counter({
      name: 'passgate_activesync_requests_total',
      help: 'ActiveSync and Autodiscover requests forwarded, by endpoint and status the device got (502: upstream unreachable).',
      labelNames: ['endpoint', 'status'],
      registers: [metrics.registry],
    });
    const headSeconds = new Histogram({
      name: 'passgate_activesync_answer_head_seconds',
      help: "Time from a device's request to the upstream's answer head (long for a held Ping).",
      labelNames: ['endpoint'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600, 3600],
      registers: [metrics.registry],
    });
    const forwarder = (endpoint: string, target: URL): Forward =>
      createForwarder({
        target,
        ...(ca ? { ca } : {}),
        connectTimeoutMs: settings.connectTimeoutSeconds * 1000,
        logger,
        answered: (status, ms) => {
          requests.inc({ endpoint, status: String(status) });
          headSeconds.observe({ endpoint }, ms / 1000);
        },
      });
    const activesync = forwarder('activesync', upstream);
    const autodiscover = forwarder(
      'autodiscover',
      new URL(settings.autodiscover ?? `${upstream.origin}/Autodiscover/Autodiscover.xml`),
    );
    const router = Router();
    const credentials = settings.checkCredentials ? createCredentialCheck(context, logger) : undefined;
    const devices = settings.deviceApproval ? deviceGateOf(context, logger) : undefined;
    router.use((req, res, next) => {
      const url = req.originalUrl;
      const eas = ACTIVESYNC_PATH.exec(url);
      if (!eas) return next();
      const forward = () => activesync(req, res, url.slice(eas[0].length));
      if (!credentials) return forward();
      const gate = devices && req.method !== 'OPTIONS' ? devices : undefined;
      void credentials(req, res, (error?: unknown) => {
        if (error) return next(error);
        if (!gate) return forward();
        const checked = checkedDevice(res);
        if (!checked) return next(new Error('the credential check passed no user'));
        void gate(req, res, (failure?: unknown) => (failure ? next(failure) : forward()), checked.user);
      });
    });
    router.use((req, res, next) => {
      const url = req.originalUrl;
      const discovery = AUTODISCOVER_PATH.exec(url);
      if (discovery) return autodiscover(req, res, url.slice(discovery[0].length));
      next();
    });
    logger.info({ upstream: upstream.origin }, 'ActiveSync gateway forwarding');
    return { routers: [router] };
  },
};
