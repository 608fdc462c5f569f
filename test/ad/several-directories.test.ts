// Several directories on one server: the default AD (CN=Users), a second AD directory (an OU of
// the same Samba DC, its own connection and sync) and the local directory. A name in two
// directories is two users; a prefix, a UPN suffix or the configured order chooses; every door
// goes through the engine's one choice; reset sites only ever touch their own directory.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { giveResetSeat, identify, post, verify } from '../reset/support.js';
import { adDirectoryConfig, directBind } from '../support/ad.js';
import { Browser } from '../support/browser.js';
import { lastMessage } from '../support/browser-login.js';
import { discover, loginWithCode } from '../support/relying-party.js';
import { ALT_UPN_SUFFIX, createOu, createUser, holdDc, requireDc } from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

const dc = requireDc(inject('samba'));
const tag = randomBytes(3).toString('hex');
const twin = `twin${tag}`;
const partnerUser = `pat${tag}`;
const AD_PASSWORD = 'Directory-pass-1';
const LOCAL_PASSWORD = 'Local-pass-2';
const PARTNER_PASSWORD = 'Partner-pass-3';
const AD_MOBILE = '+33611110001';
const LOCAL_MOBILE = '+33622220002';

let release: () => Promise<void>;
let passgate: TestServer;
let partnerOu: string;
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
  partnerOu = (await createOu(dc, `Partner${tag}`)).dn;
  await createUser(dc, { sam: twin, password: AD_PASSWORD, mobile: AD_MOBILE });
  await createUser(dc, {
    sam: partnerUser,
    password: PARTNER_PASSWORD,
    container: partnerOu,
    upn: `${partnerUser}@${ALT_UPN_SUFFIX}`,
  });
  passgate = await startTestServer({
    config: {
      directory: adDirectoryConfig(dc, { baseDn: `CN=Users,${dc.baseDn}` }),
      directories: {
        partner: adDirectoryConfig(dc, {
          baseDn: partnerOu,
          netbiosDomain: undefined,
          upnSuffixes: [ALT_UPN_SUFFIX],
        }),
        staff: { type: 'local' },
      },
      policies: {
        authentication: {
          // The OIDC sign-ins below end at the password: the second factor is another test's subject.
          'oidc-password-only': { when: { doors: ['oidc'] }, outcome: { action: 'allow' } },
        },
      },
      reset: {
        neutralMinMs: 0,
        sites: [
          { name: 'corp', path: '/reset', directory: 'default' },
          { name: 'staff', path: '/staff-reset', directory: 'staff' },
        ],
      },
    },
  });
  await passgate.addUser(`staff\\${twin}`, LOCAL_PASSWORD, { mobile: LOCAL_MOBILE });
});
afterAll(async () => {
  await passgate?.close();
  await release?.();
});

const engine = () => passgate.server.services()!.engine;
const signIn = (name: string, password: string) =>
  engine().firstFactor.authenticate(name, password, { address: '192.0.2.40', door: 'test' });

describe('one name in two directories', () => {
  it('is two users, told apart by the directory in every sign-in (OIDC here)', async () => {
    const rp = await discover(passgate.url);
    const ad = await loginWithCode(rp, twin, AD_PASSWORD);
    const local = await loginWithCode(rp, `STAFF\\${twin}`, LOCAL_PASSWORD);
    const adUser = await passgate.core.users.findByUsername(twin);
    const localUser = await passgate.core.users.findByUsername(`staff\\${twin}`);
    expect(adUser).toMatchObject({ source: 'ad', mobile: AD_MOBILE });
    expect(localUser).toMatchObject({ source: 'local', mobile: LOCAL_MOBILE });
    expect(ad.tokens.claims()!.sub).toBe(adUser!.id);
    expect(local.tokens.claims()!.sub).toBe(localUser!.id);
    expect(adUser!.id).not.toBe(localUser!.id);
  });

  it("never checks one directory's password against the other's user", async () => {
    // Bare name: the configured order (default first) has the user, and its password decides.
    await expect(signIn(twin, LOCAL_PASSWORD)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(signIn(`staff\\${twin}`, AD_PASSWORD)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect((await signIn(`EXAMPLE\\${twin}`, AD_PASSWORD)).source).toBe('ad');
  });
});

describe('the second AD directory', () => {
  it('is chosen by UPN suffix, by its name as prefix, and by order for a bare name', async () => {
    const byUpn = await signIn(`${partnerUser}@${ALT_UPN_SUFFIX}`, PARTNER_PASSWORD);
    expect(byUpn).toMatchObject({ username: `partner\\${partnerUser}`, source: 'ad:partner' });
    expect((await signIn(`PARTNER\\${partnerUser}`, PARTNER_PASSWORD)).id).toBe(byUpn.id);
    expect((await signIn(partnerUser, PARTNER_PASSWORD)).id).toBe(byUpn.id);
    // The default directory does not have the partner's users (another base DN): no confusion there.
    expect(await passgate.core.directories.get('default')!.find(partnerUser)).toBeUndefined();
  });

  it("synchronises its own users only, and leaves the other directory's alone", async () => {
    const partner = await passgate.core.adSyncs.get('partner')!.run({ full: true });
    expect(partner.seen).toBeGreaterThanOrEqual(1);
    const def = await passgate.core.adSyncs.get('default')!.run({ full: true });
    expect(def.seen).toBeGreaterThanOrEqual(1);
    const again = await passgate.core.adSyncs.get('partner')!.run({ full: true });
    expect(again.removed).toBe(0);
    expect((await passgate.core.users.findByUsername(twin))!.removedAt).toBeNull();
    expect((await passgate.core.users.findByUsername(`partner\\${partnerUser}`))!.removedAt).toBeNull();
    // Each keeps its own position in its DC's changes.
    const state = passgate.core.repositories.directoryState;
    expect(await state.get('ad:highestUsn')).toBeTruthy();
    expect(await state.get('partner:ad:highestUsn')).toBeTruthy();
  });
});

describe('two reset sites bound to two directories', () => {
  it('resets the local user on the staff site and never touches the AD user of the same name', async () => {
    const localUser = (await passgate.core.users.findByUsername(`staff\\${twin}`))!;
    const adUser = (await passgate.core.users.findByUsername(twin))!;
    await giveResetSeat(passgate, localUser.id, adUser.id);
    const site = `${passgate.url}/staff-reset`;
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, twin);
    // The passcode went to the local user's phone, not the AD user's.
    expect(lastMessage(passgate, 'sms').to).toBe(LOCAL_MOBILE);
    const done = await post(browser, site, verified, 'password', {
      password: 'Local-new-4',
      confirm: 'Local-new-4',
    });
    expect(done.body).toContain('data-action="reset"');
    expect((await signIn(`staff\\${twin}`, 'Local-new-4')).id).toBe(localUser.id);
    expect(await directBind(dc, `${twin}@${dc.upnSuffix}`, AD_PASSWORD)).toBe('ok');
  });

  it("answers the AD site's neutral step for the local user's qualified name", async () => {
    const { answer } = await identify(new Browser(), `${passgate.url}/reset`, `staff\\${twin}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('id="neutral"');
    await verify(passgate, new Browser(), `${passgate.url}/reset`, twin);
    expect(lastMessage(passgate, 'sms').to).toBe(AD_MOBILE);
  });
});
