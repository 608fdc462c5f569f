// The ActiveSync door's credential check on the real Samba AD DC of the run: a device repeating a
// wrong password never locks the account (badPwdCount and lockoutTime read with ldapsearch), its
// user is told once, good passwords are served from the short-lived cache without a bind, and a
// password changed in AD is refused once the cache's time is up (at once when changed through
// Passgate). The upstream is a plain HTTP peer: what is checked happens before anything is forwarded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { adDirectoryConfig, badPwdCount, directBind, movingClock, recordBinds } from '../support/ad.js';
import { outbox } from '../support/browser-login.js';
import {
  attr,
  createPso,
  createUser,
  DEFAULT_PASSWORD,
  holdDc,
  ldapsearch,
  requireDc,
  setPassword,
} from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

const dc = requireDc(inject('samba'));
const clock = movingClock();
const TTL_MINUTES = 10;

let release: () => Promise<void>;
let passgate: TestServer;
let upstream: { server: Server; url: string; requests: number };
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
  upstream = await startUpstream();
  passgate = await startTestServer({
    clock,
    config: {
      directory: adDirectoryConfig(dc),
      // Device approval is tested in devices.test.ts; here every device passes once its password is good.
      activesync: {
        enabled: true,
        upstream: upstream.url,
        credentialCache: { minutes: TTL_MINUTES },
        deviceApproval: false,
      },
      metrics: { listen: '127.0.0.1:0' },
    },
  });
});
afterAll(async () => {
  await passgate?.close();
  upstream?.server.close();
  await release?.();
});

let binds: ReturnType<typeof recordBinds> | undefined;
afterEach(() => binds?.restore());

/** One Sync request of a device, as a phone sends it. */
const sync = (username: string, password: string, deviceId: string) =>
  fetch(
    `${passgate.url}/Microsoft-Server-ActiveSync?Cmd=Sync&User=${username}&DeviceId=${deviceId}&DeviceType=iPhone`,
    {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
        'ms-asprotocolversion': '14.1',
      },
      body: 'sync',
    },
  );

/** Binds Passgate made as the user (the service account's searches left out). */
const userBinds = (dn: string) =>
  binds!.userBinds(dc.adminDn).filter((d) => d.toLowerCase() === dn.toLowerCase());

async function lockoutTime(sam: string): Promise<number> {
  const [entry] = await ldapsearch(dc, `(sAMAccountName=${sam})`, ['lockoutTime']);
  return Number(attr(entry!, 'lockoutTime') ?? 0);
}

async function checks(): Promise<{ cache: number; directory: number }> {
  const text = await fetch(`${passgate.server.metricsUrl}/metrics`).then((r) => r.text());
  const count = (path: string) =>
    Number(
      new RegExp(`passgate_activesync_credential_checks_total\\{path="${path}"\\} (\\d+)`).exec(text)?.[1] ??
        0,
    );
  return { cache: count('cache'), directory: count('directory') };
}

describe('a device with an old password', () => {
  it('is answered 401 twenty times without locking the Samba account, and its user is told once', async () => {
    const user = await createUser(dc, { sam: 'as-old', mail: 'as-old@example.test' });
    binds = recordBinds();
    const forwarded = upstream.requests;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await sync('as-old', 'Old-Passw0rd-1!', 'OLDPHONE1')).status);
    expect(statuses).toEqual(Array(20).fill(401));
    // The domain locks at 5: Passgate stopped binding two short of it (lockoutMargin 2).
    expect(userBinds(user.dn)).toHaveLength(3);
    expect(await badPwdCount(dc, 'as-old')).toBe(3);
    expect(await lockoutTime('as-old')).toBe(0);
    expect(upstream.requests).toBe(forwarded);

    const notices = outbox(passgate).filter((m) => m.to === 'as-old@example.test');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ channel: 'email', subject: 'A device is using an old password' });
    expect(notices[0]!.text).toContain('iPhone (OLDPHONE1)');
    expect(notices[0]!.text).not.toContain('Old-Passw0rd-1!');
    const [audited] = await passgate.core.audit.recent({ type: 'activesync.old_password_notice', limit: 1 });
    expect(audited).toMatchObject({ outcome: 'success', username: 'as-old' });

    // AD never locked the account; once Passgate's window has passed the right password syncs.
    expect(await directBind(dc, user.upn, DEFAULT_PASSWORD)).toBe('ok');
    clock.advance(31 * 60_000);
    expect((await sync('as-old', DEFAULT_PASSWORD, 'OLDPHONE1')).status).toBe(200);
    expect(upstream.requests).toBe(forwarded + 1);
    expect(await lockoutTime('as-old')).toBe(0);
    // Still one notice: the incident ended with the good password, and no new one began.
    expect(outbox(passgate).filter((m) => m.to === 'as-old@example.test')).toHaveLength(1);
  }, 120_000);
});

describe('the cache of good passwords', () => {
  it('serves a device’s repeated good requests without binding to AD', async () => {
    const user = await createUser(dc, { sam: 'as-steady' });
    binds = recordBinds();
    const before = await checks();
    for (let i = 0; i < 6; i++)
      expect((await sync('as-steady', DEFAULT_PASSWORD, 'STEADY1')).status).toBe(200);
    expect(userBinds(user.dn)).toHaveLength(1);
    const after = await checks();
    expect(after.directory - before.directory).toBe(1);
    expect(after.cache - before.cache).toBe(5);
    // Another device of the same user is checked on its own, and so is another password.
    expect((await sync('as-steady', DEFAULT_PASSWORD, 'STEADY2')).status).toBe(200);
    expect((await sync('as-steady', 'Not-It-1!', 'STEADY1')).status).toBe(401);
    expect(userBinds(user.dn)).toHaveLength(3);
    // The refusal dropped the user's entries: the good password binds again.
    expect((await sync('as-steady', DEFAULT_PASSWORD, 'STEADY1')).status).toBe(200);
    expect(userBinds(user.dn)).toHaveLength(4);
  });

  it('refuses a password changed in AD once its time is up, and at once when changed through Passgate', async () => {
    const user = await createUser(dc, { sam: 'as-changed' });
    // Samba lets the previous password bind for an hour when there is a history: none here.
    await createPso(dc, { name: 'as-changed-pso', appliesTo: [user], historyLength: 1 });
    expect((await sync('as-changed', DEFAULT_PASSWORD, 'CHANGED1')).status).toBe(200);
    await setPassword(dc, user, 'Second-Passw0rd-2!');
    // Changed in AD behind Passgate's back: the cached password holds for the cache's time at most.
    expect((await sync('as-changed', DEFAULT_PASSWORD, 'CHANGED1')).status).toBe(200);
    clock.advance(TTL_MINUTES * 60_000 + 1000);
    expect((await sync('as-changed', DEFAULT_PASSWORD, 'CHANGED1')).status).toBe(401);
    expect((await sync('as-changed', 'Second-Passw0rd-2!', 'CHANGED1')).status).toBe(200);

    // A reset through Passgate (the reset door marks it) ends the cached password in every process at once.
    await setPassword(dc, user, 'Third-Passw0rd-3!');
    const stored = (await passgate.core.users.findByUsername('as-changed'))!;
    await passgate.core.users.markPasswordChanged(stored.id);
    expect((await sync('as-changed', 'Second-Passw0rd-2!', 'CHANGED1')).status).toBe(401);
    expect((await sync('as-changed', 'Third-Passw0rd-3!', 'CHANGED1')).status).toBe(200);
  }, 60_000);
});

/** An HTTP peer standing for the mail server: counts what reaches it, answers 200. */
function startUpstream(): Promise<{ server: Server; url: string; requests: number }> {
  const peer = { server: undefined as unknown as Server, url: '', requests: 0 };
  peer.server = createServer((req, res) => {
    peer.requests++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/vnd.ms-sync.wbxml' }).end());
  });
  return new Promise((resolve) =>
    peer.server.listen(0, '127.0.0.1', () => {
      peer.url = `http://127.0.0.1:${(peer.server.address() as AddressInfo).port}/Microsoft-Server-ActiveSync`;
      resolve(peer);
    }),
  );
}
