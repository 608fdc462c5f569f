import { randomUUID } from 'node:crypto';
import { type Channel, isChannel } from '../../../config/channels.js';
import { toE164 } from '../../../directory/ad/entry.js';
import { errorSummary } from '../../../dispatch/attempt.js';
import type { OutboundMessage } from '../../../dispatch/gateway.js';
import { maskDestination } from '../../../dispatch/mask.js';
import { GATEWAY_TYPES } from '../../../dispatch/registry.js';
import type { GatewayStatistics } from '../../../store/repositories/delivery-attempts.js';
import type { AdminPage, AdminRequest } from '../page.js';
import { allows } from '../permissions.js';
import { formField } from '../upload.js';

const HOUR = 3_600_000;
/** How long a test send may take before it counts as timed out. */
const TEST_TIMEOUT_MS = 15_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What a test send ended with, for the page. */
interface TestResult {
  gateway: string;
  to: string;
  outcome: 'sent' | 'failed' | 'timeout';
  latencyMs: number;
  providerMessageId?: string;
  error?: string;
}

/**
 * Gateways (administrators; auditors read): every configured gateway with its circuit breaker
 * and what it delivered over the last hour and day, summed from the delivery attempts every
 * server process records in the store; and a test send through one gateway to a number or
 * address the administrator types (audited, the destination masked).
 */
export const gatewaysPage: AdminPage = {
  nav: {
    id: 'gateways',
    label: 'admin:nav.gateways',
    path: '/admin/gateways',
    permission: 'gateways.read',
    order: 70,
  },
  routes: [
    {
      method: 'get',
      path: '/admin/gateways',
      permission: 'gateways.read',
      async handle(request) {
        await show(request);
      },
    },
    {
      method: 'post',
      path: '/admin/gateways/:name/test',
      permission: 'gateways.write',
      async handle(request) {
        const { req, admin, site } = request;
        const { engine } = site.context;
        const name = String(req.params.name);
        const gateway = engine.dispatcher.gateways().find((g) => g.name === name);
        if (!gateway) return show(request, { error: 'admin:gateways.test.unknown' }, 404);
        const channel = formField(req, 'channel');
        if (!isChannel(channel) || !gateway.channels.includes(channel))
          return show(request, { error: 'admin:gateways.test.badChannel' }, 400);
        const to = destination(channel, formField(req, 'to'));
        if (!to) return show(request, { error: 'admin:gateways.test.badDestination' }, 400);
        const message = testMessage(channel, to, site.t(site.language(req), 'admin:gateways.test.text'));
        const ended = await engine.dispatcher.sendThrough(name, message, TEST_TIMEOUT_MS);
        const result: TestResult = {
          gateway: name,
          to: maskDestination(to),
          outcome: ended.outcome,
          latencyMs: Math.round(ended.latencyMs),
          ...(ended.outcome === 'sent'
            ? ended.result.providerMessageId
              ? { providerMessageId: ended.result.providerMessageId }
              : {}
            : { error: errorSummary(ended.error, message) }),
        };
        await site.auditChange(
          admin,
          'admin.gateway.test',
          null,
          { gateway: name, channel, to: result.to, outcome: result.outcome, messageId: message.id },
          req.ip,
        );
        await show(request, { result });
      },
    },
  ],
};

/** The typed destination in the form the channel needs (E.164, an e-mail address), or undefined. */
function destination(channel: Channel, typed: string): string | undefined {
  const text = typed.trim().slice(0, 200);
  if (channel === 'email') return EMAIL.test(text) ? text : undefined;
  return text ? toE164(text, 'US') : undefined;
}

function testMessage(channel: Channel, to: string, text: string): OutboundMessage {
  return {
    id: randomUUID(),
    channel,
    to,
    text,
    language: 'en',
    ...(channel === 'email' ? { subject: text } : {}),
    ...(channel === 'voice' ? { spoken: text } : {}),
  };
}

async function show(
  { render, site, admin }: AdminRequest,
  outcome: { result?: TestResult; error?: string } = {},
  status = 200,
): Promise<void> {
  const { engine, core, clock } = site.context;
  const now = clock();
  const [hour, day] = await Promise.all([
    core.repositories.deliveryAttempts.statistics(now - HOUR),
    core.repositories.deliveryAttempts.statistics(now - 24 * HOUR),
  ]);
  const of = (rows: GatewayStatistics[], name: string) => rows.find((row) => row.gateway === name);
  const gateways = engine.dispatcher.gateways().map((gateway) => ({
    name: gateway.name,
    type: gateway.type,
    title: GATEWAY_TYPES.find((t) => t.type === gateway.type)?.title ?? gateway.type,
    channels: gateway.channels,
    breaker: engine.dispatcher.breakerState(gateway.name),
    hour: of(hour, gateway.name),
    day: of(day, gateway.name),
  }));
  const canTest = allows(admin.role, 'gateways.write');
  await render('gateways', { gateways, canTest, result: outcome.result, error: outcome.error }, status);
}
