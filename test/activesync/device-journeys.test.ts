import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeviceSiteBrowser } from '../devices/support.js';
import type { startSmsc } from '../dispatch/smsc.js';
import { PASSWORD, type PolicyServer, startPolicyServer } from '../policy/support.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { EasClient } from '../support/eas-client.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';
import { smtpGateway, startSmtpRelay } from '../support/smtp-relay.js';
import { type SogoServer, startSogo } from '../support/sogo.js';

/** Exchange's answer to a blocked or quarantined device (MS-ASCMD common status 129). */
const BLOCKED = '129';

// Issue 20's device journeys end to end: the eas4tbsync client as the phone, Passgate's ActiveSync
// door holding new devices, the owner told by a real SMTP relay or a real SMPP peer, approving on
// the Device Provisioning site with TOTP or an SMS passcode, and SOGo with Dovecot behind.
describe('a new phone held until its owner approves it on the Device Provisioning site', () => {
  const mailUsers = ['ada', 'sam', 'rex'].map((username) => ({ username, password: PASSWORD }));
  const samMobile = '+33612345670';
  let relay: Awaited<ReturnType<typeof startSmtpRelay>>;
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let dovecot: DovecotServer;
  let sogo: SogoServer;
  let passgate: PolicyServer;

  beforeAll(async () => {
    relay = await startSmtpRelay();
    smsc = await startGatewaySmsc();
    dovecot = await startDovecot(mailUsers);
    sogo = await startSogo(inject('postgresUrl'), { imapServer: dovecot.imapUrl, users: mailUsers });
    passgate = await startPolicyServer({
      config: {
        activesync: { enabled: true, upstream: sogo.activesyncUrl },
        dispatch: { gateways: [smtpGateway(relay.port), smppGateway(smsc)] },
      },
    });
    await passgate.addTotpUser('ada', { email: 'ada@example.test' });
    await passgate.addUser('sam', PASSWORD, { mobile: samMobile });
    await passgate.addTotpUser('rex', { email: 'rex@example.test' });
  }, 90_000);
  afterAll(async () => {
    await passgate?.close();
    await sogo?.stop();
    await dovecot?.stop();
    await smsc?.close();
    await relay?.close();
  });

  const phone = (username: string, id: string) =>
    new EasClient({
      url: `${passgate.url}/Microsoft-Server-ActiveSync`,
      username,
      password: PASSWORD,
      device: { id, type: 'iPhone', userAgent: 'Apple-iPhone16C2/2104.123' },
    });

  /** The approval links of the e-mails the relay carried to an address. */
  const mailedLinks = (to: string) =>
    relay.received
      .filter((m) => m.to.includes(to))
      // Quoted-printable soft line breaks would cut a long link.
      .map((m) => linkIn(m.raw.replace(/=\r?\n/g, '')));

  /** The texts the SMPP peer received for a number, oldest first. */
  const texted = (mobile: string) =>
    smsc.state.submits
      .filter((s) => s.destination.replace(/^\+/, '') === mobile.replace(/^\+/, ''))
      .map((s) => s.text);

  /** Whether SOGo ever saw a request of this device (a held device's requests stop at Passgate). */
  const upstreamSaw = (deviceId: string) => sogo.output().includes(`DeviceId=${deviceId}`);

  it('holds a new device with the blocked answer, and e-mails its owner the approval link once', async () => {
    const ada = phone('ada', 'ADAPHONE01');
    const provision = await ada.provision();
    expect(provision.status).toBe(200);
    expect(provision.provisionStatus).toBe(BLOCKED);
    const folders = await ada.folderSync();
    expect(folders.status).toBe(200);
    expect(folders.data).toEqual({ FolderSync: { Status: BLOCKED } });
    expect(folders.folders).toEqual([]);
    expect(upstreamSaw('ADAPHONE01')).toBe(false);

    await until(() => mailedLinks('ada@example.test').length > 0);
    const [link] = mailedLinks('ada@example.test');
    expect(link).toMatch(/\/devices\/approve\/[\w-]+$/);
    // Its next requests are held as well, without another notice.
    expect((await ada.folderSync()).data).toEqual({ FolderSync: { Status: BLOCKED } });
    await sleep(500);
    expect(mailedLinks('ada@example.test')).toHaveLength(1);
  });

  it("approved with the owner's TOTP code, the device syncs the real mail folders and INBOX", async () => {
    const [link] = mailedLinks('ada@example.test');
    const site = new DeviceSiteBrowser(passgate);
    await site.signIn('ada', () => passgate.totp(), new URL(link as string).pathname);
    expect(new URL(site.page.url).pathname).toBe(new URL(link as string).pathname);
    expect(site.page.body).toContain('ADAPHONE01');
    const id = (link as string).split('/').pop() as string;
    await site.post(`/devices/${id}/approve`);
    expect(site.page.body).toContain('data-done="approved"');

    const ada = phone('ada', 'ADAPHONE01');
    const answer = await ada.folderSync();
    expect(answer.data).toMatchObject({ FolderSync: { Status: '1' } });
    const names = answer.folders.map((f) => f.displayName);
    expect(names).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Drafts', 'Trash', 'Projects']));
    const inbox = answer.folders.find((f) => f.type === '2')?.serverId as string;
    await ada.sync(inbox);
    const messages = await ada.sync(inbox);
    expect(messages.added.map((m) => m.data.Subject)).toEqual(
      expect.arrayContaining(['Welcome to the test mailbox', 'Quarterly figures']),
    );
    expect(upstreamSaw('ADAPHONE01')).toBe(true);
  });

  it('approved with a passcode texted by the real SMPP peer, the device syncs the real folders', async () => {
    const sam = phone('sam', 'SAMPHONE01');
    expect((await sam.folderSync()).data).toEqual({ FolderSync: { Status: BLOCKED } });
    // Sam has no e-mail address: the notice with the link comes by SMS.
    await until(() => texted(samMobile).some((text) => linkIn(text)));
    const link = texted(samMobile).map(linkIn).find(Boolean) as string;
    const before = texted(samMobile).length;

    const site = new DeviceSiteBrowser(passgate);
    await site.signIn('sam', undefined, new URL(link).pathname);
    expect(site.page.url).toMatch(/\/mfa$/);
    await until(() => texted(samMobile).length > before);
    const passcode = /\b(\d{6,8})\b/.exec(texted(samMobile).at(-1) as string)?.[1] as string;
    await site.post(site.formAction(), { action: 'verify', code: passcode });
    expect(new URL(site.page.url).pathname).toBe(new URL(link).pathname);
    await site.post(`/devices/${link.split('/').pop()}/approve`);
    expect(site.page.body).toContain('data-done="approved"');

    const answer = await sam.folderSync();
    expect(answer.data).toMatchObject({ FolderSync: { Status: '1' } });
    expect(answer.folders.map((f) => f.displayName)).toEqual(expect.arrayContaining(['INBOX', 'Projects']));
  });

  it('a device its owner rejects stays out, and SOGo never sees it', async () => {
    const rex = phone('rex', 'REXPHONE01');
    expect((await rex.folderSync()).data).toEqual({ FolderSync: { Status: BLOCKED } });
    await until(() => mailedLinks('rex@example.test').length > 0);
    const [link] = mailedLinks('rex@example.test');
    const site = new DeviceSiteBrowser(passgate);
    await site.signIn('rex', () => passgate.totp(), new URL(link as string).pathname);
    await site.post(`/devices/${(link as string).split('/').pop()}/reject`);
    expect(site.page.body).toContain('data-done="rejected"');

    expect((await rex.provision()).provisionStatus).toBe(BLOCKED);
    expect((await rex.folderSync()).data).toEqual({ FolderSync: { Status: BLOCKED } });
    expect(upstreamSaw('REXPHONE01')).toBe(false);
    // One notice for the device, however often it asks.
    expect(mailedLinks('rex@example.test')).toHaveLength(1);
  });
});

/** The Device Provisioning link in a message, if any. */
function linkIn(text: string): string | undefined {
  return /https?:\/\/[^\s"<>]+\/devices\/approve\/[\w-]+/.exec(text)?.[0];
}

/** Waits for a condition the servers make true in their own time (generous: the machine is shared). */
async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}
