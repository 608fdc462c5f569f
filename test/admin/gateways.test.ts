import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../dispatch/support.js';
import type { PolicyServer } from '../policy/support.js';
import { BACKENDS } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';
import { smtpGateway, startSmtpRelay } from '../support/smtp-relay.js';
import { AdminBrowser, snapshot, startAdminServer } from './support.js';

/** A real SMTP server on loopback (no TLS, no login: a trusted relay) keeping what it accepts. */

/** The figures of one gateway's row: breaker, then sent/delivered/failed for the hour and the day. */
function row(body: string, gateway: string) {
  const html = new RegExp(`<tr data-gateway="${gateway}">([\\s\\S]*?)</tr>`).exec(body)?.[1] ?? '';
  const all = (name: string) =>
    [...html.matchAll(new RegExp(`class="${name}">([^<]*)<`, 'g'))].map((m) => m[1]);
  return {
    breaker: /data-breaker="([^"]+)"/.exec(html)?.[1],
    sent: all('sent').map(Number),
    delivered: all('delivered').map(Number),
    failed: all('failed').map(Number),
  };
}

describe.each(BACKENDS)('the gateways page (%s)', (backend) => {
  let server: PolicyServer;
  let smsc: Awaited<ReturnType<typeof startGatewaySmsc>>;
  let relay: Awaited<ReturnType<typeof startSmtpRelay>>;
  let admin: AdminBrowser;

  beforeAll(async () => {
    smsc = await startGatewaySmsc();
    relay = await startSmtpRelay();
    const closed = await freePort();
    server = await startAdminServer({
      backend,
      config: {
        dispatch: {
          gateways: [
            smppGateway(smsc),
            smtpGateway(relay.port),
            { ...smtpGateway(closed, 'dead-mail'), connectionTimeoutSeconds: 2 },
          ],
        },
      },
    });
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await smsc?.close();
    await relay?.close();
  });

  it('lists the configured gateways with their breaker and no deliveries yet', async () => {
    await admin.open('/admin/gateways');
    expect(admin.page.status).toBe(200);
    for (const name of ['smsc', 'mail', 'dead-mail'])
      expect(row(admin.page.body, name)).toEqual({
        breaker: 'closed',
        sent: [0, 0],
        delivered: [0, 0],
        failed: [0, 0],
      });
    expect(admin.page.body).toContain('SMPP');
  });

  it('sends a test SMS through the real SMPP peer, audited with the number masked, and counts it with its receipt', async () => {
    await admin.open('/admin/gateways');
    await admin.post('/admin/gateways/smsc/test', { channel: 'sms', to: '+33 6 12 34 56 78' });
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).toContain('data-outcome="sent"');
    expect(smsc.state.submits.map((s) => s.destination)).toEqual(['33612345678']);
    expect(smsc.state.submits[0]!.text).toContain('Passgate test message');
    const [event] = await server.core.audit.recent({ type: 'admin.gateway.test' });
    expect(event).toMatchObject({
      details: { admin: 'ada', after: { gateway: 'smsc', channel: 'sms', outcome: 'sent' } },
    });
    expect(JSON.stringify(event)).not.toContain('612345678');
    const counted = await eventually(async () => {
      await admin.open('/admin/gateways');
      const figures = row(admin.page.body, 'smsc');
      return figures.delivered[0] === 1 ? figures : undefined;
    });
    expect(counted).toEqual({ breaker: 'closed', sent: [1, 1], delivered: [1, 1], failed: [0, 0] });
  });

  it('sends a test e-mail through the real SMTP relay, and reports a gateway that cannot be reached', async () => {
    await admin.open('/admin/gateways');
    await admin.post('/admin/gateways/mail/test', { channel: 'email', to: 'ops@example.test' });
    expect(admin.page.body).toContain('data-outcome="sent"');
    expect(relay.received.map((m) => m.to)).toEqual([['ops@example.test']]);
    await admin.post('/admin/gateways/dead-mail/test', { channel: 'email', to: 'ops@example.test' });
    expect(admin.page.body).toMatch(/data-outcome="(failed|timeout)"/);
    expect(row(admin.page.body, 'mail')).toMatchObject({ sent: [1, 1], failed: [0, 0] });
    expect(row(admin.page.body, 'dead-mail')).toMatchObject({ sent: [0, 0], failed: [1, 1] });
  });

  it('sums what every server process recorded in the store, by the hour and the day', async () => {
    const attempts = server.core.repositories.deliveryAttempts;
    // Another worker's attempts reach the page through the store alone.
    const now = Date.now();
    const other = {
      messageId: 'm-other',
      gateway: 'smsc',
      channel: 'sms',
      destination: '+33•••78',
      error: null,
      providerMessageId: null,
    };
    await attempts.record({ ...other, outcome: 'timeout', error: 'no answer', latencyMs: 900 });
    await server.core.database.db
      .insertInto('delivery_attempts')
      .values({
        id: 'two-hours-ago',
        message_id: 'm-old',
        gateway: 'smsc',
        channel: 'sms',
        destination: '+33•••78',
        outcome: 'sent',
        error: null,
        latency_ms: 40,
        provider_message_id: null,
        receipt_status: 'undeliverable',
        receipt_at: now - 7_000_000,
        created_at: now - 7_200_000,
      })
      .execute();
    await admin.open('/admin/gateways');
    expect(row(admin.page.body, 'smsc')).toEqual({
      breaker: 'closed',
      sent: [1, 2],
      delivered: [1, 1],
      failed: [1, 2],
    });
  });

  it('refuses a bad destination or channel with a clear message, and sends nothing', async () => {
    const submits = smsc.state.submits.length;
    await admin.open('/admin/gateways');
    await admin.post('/admin/gateways/smsc/test', { channel: 'sms', to: 'not a number' });
    expect(admin.page.status).toBe(400);
    expect(admin.page.body).toContain('international format');
    await admin.post('/admin/gateways/smsc/test', { channel: 'email', to: 'ops@example.test' });
    expect(admin.page.status).toBe(400);
    await admin.post('/admin/gateways/nowhere/test', { channel: 'sms', to: '+33612345678' });
    expect(admin.page.status).toBe(404);
    expect(smsc.state.submits.length).toBe(submits);
  });

  it('lets the auditor read but not send, keeps the helpdesk out, and refuses a post without the CSRF token', async () => {
    const auditor = new AdminBrowser(server);
    await auditor.signIn('otto');
    const helpdesk = new AdminBrowser(server);
    await helpdesk.signIn('hugo');
    await server.core.attempts.flush();
    const before = await snapshot(server.core.database.db as never);
    const submits = smsc.state.submits.length;
    await auditor.open('/admin/gateways');
    expect(auditor.page.status).toBe(200);
    expect(auditor.page.body).toContain('data-gateway="smsc"');
    expect(auditor.page.body).not.toContain('/test"');
    await auditor.post('/admin/gateways/smsc/test', { channel: 'sms', to: '+33612345678' });
    expect(auditor.page.status).toBe(403);
    await helpdesk.open('/admin/gateways');
    expect(helpdesk.page.status).toBe(403);
    await admin.open('/admin/gateways');
    await admin.post('/admin/gateways/smsc/test', { _csrf: 'forged', channel: 'sms', to: '+33612345678' });
    expect(admin.page.status).toBe(403);
    expect(smsc.state.submits.length).toBe(submits);
    expect(await snapshot(server.core.database.db as never)).toBe(before);
  });
});
