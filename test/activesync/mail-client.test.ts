import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approveDevice } from '../support/approved-device.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { EasClient } from '../support/eas-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type SogoServer, startSogo } from '../support/sogo.js';

// A phone (the eas4tbsync client) syncing real mail through Passgate: SOGo with its mail folders
// in a private Dovecot, Passgate's ActiveSync door in front.
describe('an EAS client syncing real mail folders through Passgate', () => {
  const user = { username: 'alice', password: `pw-${randomBytes(6).toString('hex')}` };
  let dovecot: DovecotServer;
  let sogo: SogoServer;
  let passgate: TestServer;
  let phone: EasClient;
  // The Inbox's ServerId, from the FolderSync below (the tests run in order, as a phone would).
  let inbox = '';

  beforeAll(async () => {
    dovecot = await startDovecot([user]);
    sogo = await startSogo(inject('postgresUrl'), { imapServer: dovecot.imapUrl, users: [user] });
    passgate = await startTestServer({
      config: { activesync: { enabled: true, upstream: sogo.activesyncUrl } },
    });
    const owner = await passgate.addUser(user.username, user.password);
    // Both phones are approved beforehand: holding and approving new devices is what
    // device-journeys.test.ts tests.
    await approveDevice(passgate.core, owner, 'TBSYNC0001', 'TbSync');
    await approveDevice(passgate.core, owner, 'B64PHONE01', 'iPhone');
    phone = new EasClient({
      url: `${passgate.url}/Microsoft-Server-ActiveSync`,
      ...user,
      device: { id: 'TBSYNC0001', type: 'TbSync', userAgent: 'Thunderbird ActiveSync' },
    });
  }, 60_000);
  afterAll(async () => {
    await passgate?.close();
    await sogo?.stop();
    await dovecot?.stop();
  });

  it('provisions (SOGo has no policy for the device)', async () => {
    const answer = await phone.provision();
    expect(answer.status).toBe(200);
    expect(answer.provisionStatus).toBe('1');
    // Policy Status 2: no policy for this device, so eas4tbsync syncs without a policy key.
    expect(answer.policyStatus).toBe('2');
    expect(phone.policyKey).toBeUndefined();
  });

  it("lists the mailbox's real folders from Dovecot with its calendar and address book", async () => {
    const answer = await phone.folderSync();
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ FolderSync: { Status: '1' } });
    const names = answer.folders.map((f) => f.displayName);
    inbox = answer.folders.find((f) => f.type === '2')?.serverId ?? '';
    expect(names).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Drafts', 'Trash', 'Projects']));
    expect(names).toEqual(expect.arrayContaining(['Personal Calendar', 'Personal Address Book']));
    // EAS folder types: 2 Inbox, 5 Sent Items, 12 user-created mail folder.
    expect(answer.folders.find((f) => f.displayName === 'INBOX')?.type).toBe('2');
    expect(answer.folders.find((f) => f.displayName === 'Sent')?.type).toBe('5');
    expect(answer.folders.find((f) => f.displayName === 'Projects')?.type).toBe('12');
    expect(phone.folderSyncKey).not.toBe('0');
  });

  it('syncs INBOX: a SyncKey first, then the messages Dovecot holds', async () => {
    const first = await phone.sync(inbox);
    expect(first.status).toBe(200);
    expect(first.data).toMatchObject({ Sync: { Collections: { Collection: { Status: '1' } } } });
    expect(first.syncKey).toBeDefined();
    expect(first.syncKey).not.toBe('0');
    const second = await phone.sync(inbox);
    expect(second.status).toBe(200);
    expect(second.syncKey).not.toBe(first.syncKey);
    const subjects = second.added.map((item) => item.data.Subject);
    expect(subjects).toEqual(expect.arrayContaining(['Welcome to the test mailbox', 'Quarterly figures']));
    expect(second.added).toHaveLength(2);
    expect(second.added[0]?.data.Body).toMatchObject({ Type: '1', Data: expect.stringMatching(/message\./) });
    // As a phone does, it syncs again until nothing is new (SOGo then answers with an empty body).
    const third = await phone.sync(inbox);
    expect(third.status).toBe(200);
    expect(third.added).toEqual([]);
  });

  it('holds a Ping through the proxy until a new message arrives in INBOX', async () => {
    const ping = phone.ping(60, [{ id: inbox, class: 'Email' }]);
    let answered = false;
    void ping.then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(answered).toBe(false);
    dovecot.deliver(user.username, 'INBOX', { subject: 'Arrived during the Ping', body: 'New mail.' });
    const answer = await ping;
    expect(answer.status).toBe(200);
    // Status 2: changes in the folders named in the Folders element.
    expect(answer.data).toMatchObject({ Ping: { Status: '2', Folders: { Folder: inbox } } });
    const sync = await phone.sync(inbox);
    expect(sync.added.map((item) => item.data.Subject)).toEqual(['Arrived during the Ping']);
    expect((await phone.sync(inbox)).added).toEqual([]);
  }, 120_000);

  it('serves a phone that sends the base64-encoded query the same folders', async () => {
    const other = new EasClient({
      url: `${passgate.url}/Microsoft-Server-ActiveSync`,
      ...user,
      device: { id: 'B64PHONE01', type: 'iPhone' },
      query: 'base64',
    });
    const answer = await other.folderSync();
    expect(answer.status).toBe(200);
    expect(answer.folders.map((f) => f.displayName)).toEqual(expect.arrayContaining(['INBOX', 'Projects']));
    expect(sogo.output()).toMatch(/POST \/SOGo\/Microsoft-Server-ActiveSync\?[A-Za-z0-9+/=]{20,} HTTP/);
  });

  it('answers a Ping at its heartbeat when nothing changed', async () => {
    const answer = await phone.ping(10, [{ id: inbox, class: 'Email' }]);
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ Ping: { Status: '1' } });
  }, 120_000);
});
