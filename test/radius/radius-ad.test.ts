// The RADIUS door in front of the real Samba AD DC of the run: an AD user signs in over RADIUS
// (radclient), and password spraying against the VPN never locks the AD account.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adDirectoryConfig, badPwdCount, directBind } from '../support/ad.js';
import { radclient, radiusClients } from '../support/radclient.js';
import { createUser, DEFAULT_PASSWORD, holdDc, requireDc } from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

const dc = requireDc(inject('samba'));
const SECRET = 'radius-ad-secret-0123456789';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_AD_SECRET';
/** The fixture domain's lockout threshold. */
const AD_THRESHOLD = 5;

describe('RADIUS sign-ins of Active Directory users', () => {
  let passgate: TestServer;
  let release: () => Promise<void>;
  let port: number;

  beforeAll(async () => {
    release = await holdDc(dc, 'shared');
    process.env[SECRET_VARIABLE] = SECRET;
    passgate = await startTestServer({
      config: { directory: adDirectoryConfig(dc), radius: { enabled: true, host: '127.0.0.1', port: 0 } },
    });
    port = await radiusClients(passgate, [
      { name: 'vpn', addresses: ['127.0.0.1'], secret: { env: SECRET_VARIABLE } },
    ]);
  }, 120_000);
  afterAll(async () => {
    await passgate?.close();
    await release?.();
  });

  const send = (user: string, password: string) =>
    radclient(
      { 'User-Name': user, 'User-Password': password },
      { server: `127.0.0.1:${port}`, secret: SECRET },
    );

  it('accepts an AD user with the AD password (an LDAPS bind)', async () => {
    const ad = await createUser(dc, { sam: 'rad-ad1' });
    const reply = await send(ad.upn, DEFAULT_PASSWORD);
    expect(reply.code, reply.output).toBe('Access-Accept');
  });

  it('answers ten wrong passwords with rejects while badPwdCount stays under the domain threshold', async () => {
    const ad = await createUser(dc, { sam: 'rad-ad2' });
    const messages: string[] = [];
    for (let i = 0; i < 10; i++) {
      const reply = await send(ad.upn, `Wrong-Password-${i}!`);
      expect(reply.code, reply.output).toBe('Access-Reject');
      messages.push(reply.attributes['Reply-Message']!.join(''));
    }
    expect(messages.slice(0, 3)).toEqual(Array(3).fill('The user name or password is incorrect.'));
    expect(messages.at(-1)).toBe('Too many attempts. Please wait a few minutes and try again.');
    expect(await badPwdCount(dc, 'rad-ad2')).toBeLessThan(AD_THRESHOLD);
    // AD has not locked the account.
    expect(await directBind(dc, ad.upn, DEFAULT_PASSWORD)).toBe('ok');
  });
});
