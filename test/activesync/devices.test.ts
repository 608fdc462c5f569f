import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { startSmsc } from '../dispatch/smsc.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';
import { smtpGateway, startSmtpRelay } from '../support/smtp-relay.js';
import { type SogoServer, startSogo } from '../support/sogo.js';
import { decodeActiveSync, encodeActiveSync } from '../support/wbxml.js';

const WBXML = 'application/vnd.ms-sync.wbxml';
const FOLDER_SYNC = '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>';

/** The text of a MIME message with quoted-printable lines joined and decoded (UTF-8). */
function decoded(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  return Buffer.from(
    joined.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

/** Waits until `probe` returns something truthy (servers answer in their own time). */
async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A base64-encoded query (MS-ASHTTP 2.2.1.1.1.1): version 14.1, a command code, a binary DeviceId. */
function encodedQuery(command: number, deviceId: Buffer, deviceType: string, user: string): string {
  const type = Buffer.from(deviceType, 'latin1');
  const name = Buffer.from(user, 'utf8');
  return Buffer.concat([
    Buffer.from([141, command, 0x09, 0x04, deviceId.length]),
    deviceId,
    Buffer.from([4, 0x78, 0x56, 0x34, 0x12, type.length]),
    type,
    Buffer.from([8, name.length]),
    name,
  ]).toString('base64');
}

describe('ActiveSync device approval in front of a real SOGo', () => {
  let sogo: SogoServer;
  let relay: Awaited<ReturnType<typeof startSmtpRelay>>;
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let passgate: TestServer;
  let basic: string;
  let userId: string;

  beforeAll(async () => {
    [sogo, relay, smsc] = await Promise.all([
      startSogo(inject('postgresUrl')),
      startSmtpRelay(),
      startGatewaySmsc(),
    ]);
    passgate = await startTestServer({
      config: {
        activesync: { enabled: true, upstream: sogo.activesyncUrl },
        dispatch: { gateways: [smtpGateway(relay.port), smppGateway(smsc)] },
        metrics: { listen: '127.0.0.1:0' },
      } as never,
    });
    const user = await passgate.addUser(sogo.user.username, sogo.user.password, { mobile: '+41790001122' });
    userId = user.id;
    // The owner's directory language: the notice is in French.
    await passgate.core.database.db
      .updateTable('users')
      .set({ attributes: JSON.stringify({ preferredLanguage: 'fr-CH' }) })
      .where('id', '=', user.id)
      .execute();
    basic = `Basic ${Buffer.from(`${sogo.user.username}:${sogo.user.password}`).toString('base64')}`;
  }, 120_000);
  afterAll(async () => {
    await passgate?.close();
    await Promise.all([sogo?.stop(), relay?.close(), smsc?.close()]);
  });

  const post = (query: string, body: string, version = '14.1', agent = 'Apple-iPhone15C2/2101.1') =>
    fetch(`${passgate.url}/Microsoft-Server-ActiveSync?${query}`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'ms-asprotocolversion': version,
        'content-type': WBXML,
        'user-agent': agent,
      },
      body: encodeActiveSync(body),
    });
  const plain = (cmd: string, deviceId: string, type = 'iPhone') =>
    `Cmd=${cmd}&User=${sogo.user.username}&DeviceId=${deviceId}&DeviceType=${type}`;
  const deviceOf = (deviceId: string) => passgate.core.repositories.devices.findOf(userId, deviceId);

  it('holds a new device with the quarantine answer, decoded by the real codec, and tells its owner once', async () => {
    const first = await post(plain('FolderSync', 'NEWPHONE1'), FOLDER_SYNC);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe(WBXML);
    const xml = decodeActiveSync(Buffer.from(await first.arrayBuffer()));
    expect(xml).toMatch(/<FolderSync xmlns="FolderHierarchy:">\s*<Status>129<\/Status>\s*<\/FolderSync>/);
    // More requests of the same device: still held, and no second notice.
    const bodies = {
      FolderSync: FOLDER_SYNC,
      Provision:
        '<Provision xmlns="Provision:"><DeviceInformation xmlns="Settings:"><Set><Model>iPhone</Model></Set></DeviceInformation></Provision>',
      Sync: '<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>0</SyncKey><CollectionId>1</CollectionId></Collection></Collections></Sync>',
    };
    for (const [cmd, body] of Object.entries(bodies)) {
      const res = await post(plain(cmd, 'NEWPHONE1'), body);
      expect(res.status).toBe(200);
      expect(decodeActiveSync(Buffer.from(await res.arrayBuffer()))).toMatch(
        new RegExp(`<${cmd} xmlns="\\w+:">\\s*<Status>129</Status>`),
      );
    }
    const device = (await deviceOf('NEWPHONE1'))!;
    expect(device).toMatchObject({ state: 'pending', deviceType: 'iPhone', model: 'iPhone15C2' });
    const link = `${passgate.server.publicUrl}/devices/approve/${device.id}`;
    const mail = await eventually(
      () => relay.received.find((m) => decoded(m.raw).includes(link)),
      'the e-mail',
    );
    expect(mail.to).toEqual([`${sogo.user.username}@example.test`]);
    expect(decoded(mail.raw)).toContain('Un nouvel appareil (iPhone15C2) a commencé à synchroniser');
    const sms = await eventually(() => smsc.state.submits.find((s) => s.text.includes(link)), 'the SMS');
    expect(sms.destination).toBe('41790001122');
    await sleep(500);
    expect(relay.received.filter((m) => decoded(m.raw).includes(link))).toHaveLength(1);
    expect(smsc.state.submits.filter((s) => s.text.includes(link))).toHaveLength(1);
    expect((await deviceOf('NEWPHONE1'))!.notifiedAt).not.toBeNull();
  }, 60_000);

  it('answers a held device of an old protocol version (12.1) 403, and OPTIONS as before', async () => {
    const res = await post(plain('FolderSync', 'OLDPHONE'), FOLDER_SYNC, '12.1');
    expect(res.status).toBe(403);
    const options = await fetch(
      `${passgate.url}/Microsoft-Server-ActiveSync?${plain('', 'OLDPHONE').replace('Cmd=&', '')}`,
      { method: 'OPTIONS', headers: { authorization: basic } },
    );
    expect(options.status).toBe(200);
    expect(options.headers.get('ms-asprotocolversions')).toContain('14.1');
  });

  it('answers a command naming no device 400', async () => {
    const res = await post(`Cmd=FolderSync&User=${sogo.user.username}`, FOLDER_SYNC);
    expect(res.status).toBe(400);
  });

  it("lets an approved device's FolderSync reach SOGo and return its folders", async () => {
    await post(plain('FolderSync', 'GOODPHONE'), FOLDER_SYNC);
    const device = (await deviceOf('GOODPHONE'))!;
    await passgate.core.devices.approve(device.id, { kind: 'owner', user: device.user }, { door: 'devices' });
    const res = await post(plain('FolderSync', 'GOODPHONE'), FOLDER_SYNC);
    expect(res.status).toBe(200);
    const xml = decodeActiveSync(Buffer.from(await res.arrayBuffer()));
    expect(xml).toMatch(/<Status>1<\/Status>/);
    expect(xml).toContain('<DisplayName>Personal Calendar</DisplayName>');
  });

  it('keeps a rejected device refused; an administrator clear lets it be asked again', async () => {
    await post(plain('FolderSync', 'BADPHONE', 'Android'), FOLDER_SYNC, '14.1', 'Android/13-EAS-2.0');
    const device = (await deviceOf('BADPHONE'))!;
    const link = `/devices/approve/${device.id}`;
    await eventually(() => relay.received.some((m) => decoded(m.raw).includes(link)), 'the first notice');
    await passgate.core.devices.reject(device.id, { kind: 'owner', user: device.user }, { door: 'devices' });
    for (let i = 0; i < 3; i++) {
      const res = await post(plain('FolderSync', 'BADPHONE', 'Android'), FOLDER_SYNC);
      expect(decodeActiveSync(Buffer.from(await res.arrayBuffer()))).toContain('<Status>129</Status>');
    }
    expect((await deviceOf('BADPHONE'))!.state).toBe('rejected');

    await passgate.core.devices.clear(device.id, { kind: 'administrator', name: 'root' }, { door: 'admin' });
    const again = await post(plain('FolderSync', 'BADPHONE', 'Android'), FOLDER_SYNC);
    expect(decodeActiveSync(Buffer.from(await again.arrayBuffer()))).toContain('<Status>129</Status>');
    // Asked again: a second notice with the same link.
    await eventually(
      () => relay.received.filter((m) => decoded(m.raw).includes(link)).length === 2,
      'the second notice',
    );
    await passgate.core.devices.approve(device.id, { kind: 'owner', user: device.user }, { door: 'devices' });
    const passes = await post(plain('FolderSync', 'BADPHONE', 'Android'), FOLDER_SYNC);
    expect(decodeActiveSync(Buffer.from(await passes.arrayBuffer()))).toContain('Personal Calendar');
  }, 60_000);

  it('identifies a device from the base64-encoded query', async () => {
    const id = Buffer.from('6f24cad599a5bf1a690246b8c68fae8d', 'hex');
    const res = await fetch(
      `${passgate.url}/Microsoft-Server-ActiveSync?${encodedQuery(9, id, 'PocketPC', sogo.user.username)}`,
      {
        method: 'POST',
        headers: { authorization: basic, 'content-type': WBXML },
        body: encodeActiveSync(FOLDER_SYNC),
      },
    );
    // No MS-ASProtocolVersion header: the encoded query's 14.1 decides the answer.
    expect(res.status).toBe(200);
    expect(decodeActiveSync(Buffer.from(await res.arrayBuffer()))).toContain('<Status>129</Status>');
    expect(await deviceOf('6F24CAD599A5BF1A690246B8C68FAE8D')).toMatchObject({
      deviceType: 'PocketPC',
      state: 'pending',
    });
  });

  it('writes audit rows and attempts, and counts refused requests in /metrics', async () => {
    const types = (await passgate.core.audit.recent({ userId, limit: 200 })).map((e) => e.type);
    for (const type of [
      'device.held',
      'device.refused',
      'device.approved',
      'device.rejected',
      'device.cleared',
      'device.notice',
    ])
      expect(types).toContain(type);
    await passgate.core.attempts.flush();
    const attempts = await passgate.core.repositories.signInAttempts.recentOfUser(sogo.user.username, 100);
    const decisions = attempts.filter((a) => a.method === 'device_decision');
    // The owner's two approvals and one rejection on the Device Provisioning site.
    expect(decisions.map((a) => [a.door, a.application, a.result, a.reason]).sort()).toEqual([
      ['devices', 'activesync', 'denied', 'DEVICE_REJECTED'],
      ['devices', 'activesync', 'success', null],
      ['devices', 'activesync', 'success', null],
    ]);
    const refused = attempts.filter(
      (a) => a.method !== 'device_decision' && (a.result === 'device_held' || a.reason === 'DEVICE_REJECTED'),
    );
    // One per held device (NEWPHONE1 made five requests), one for the rejection, one after the clear.
    expect(refused.filter((a) => a.result === 'device_held').length).toBeGreaterThanOrEqual(4);
    expect(refused.filter((a) => a.reason === 'DEVICE_REJECTED')).toHaveLength(1);
    expect(refused.filter((a) => a.door === 'activesync')).toHaveLength(refused.length);
    const text = await fetch(`${passgate.server.metricsUrl}/metrics`).then((r) => r.text());
    expect(text).toMatch(/passgate_activesync_devices_refused_total\{verdict="held"\} [1-9]/);
    expect(text).toMatch(/passgate_activesync_devices_refused_total\{verdict="refused"\} 3/);
  });
});
