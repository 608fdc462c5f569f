// The password-reset door on the real Samba AD DC of the run: an administrative reset over LDAPS
// (the new password binds, the old one no longer does, no change is forced), the domain's rules
// shown and AD's refusals explained, an unlock of an account locked by real bad binds, the
// neutral step for unknown users, users without a seat or a factor, and two sites side by side.

import { readFileSync } from 'node:fs';
import { Attribute, Change, Client, ResultCodeError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { passwordWriteRefusal } from '../../src/directory/ad/password-refusal.js';
import { passwordRefusal } from '../../src/directory/errors.js';
import { composeSessions } from '../../src/server/sessions.js';
import { adDirectoryConfig, directBind } from '../support/ad.js';
import { Browser } from '../support/browser.js';
import { outbox } from '../support/browser-login.js';
import { attr, createPso, createUser, holdDc, ldapsearch, requireDc } from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { giveResetSeat, identify, post, verify } from './support.js';

const dc = requireDc(inject('samba'));
const NEUTRAL_MS = 600;

let release: () => Promise<void>;
let passgate: TestServer;
let site: string;
let unlockSite: string;
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
  passgate = await startTestServer({
    config: {
      directory: adDirectoryConfig(dc),
      reset: {
        neutralMinMs: NEUTRAL_MS,
        sites: [
          {
            name: 'staff',
            path: '/reset',
            actions: 'both',
            title: 'Staff password reset',
            colours: { accent: '#7a1fa2' },
          },
          {
            name: 'kiosk',
            path: '/unlock',
            host: 'localhost',
            actions: 'unlock',
            helpdesk: '+33 1 23 45 67 89',
          },
        ],
      },
    },
  });
  // The kiosk answers on the host name localhost only; 127.0.0.1 is the same server under another name.
  const port = new URL(passgate.url).port;
  site = `http://127.0.0.1:${port}/reset`;
  unlockSite = `http://localhost:${port}/unlock`;
});
afterAll(async () => {
  await passgate?.close();
  await release?.();
});

/** An AD user with a mobile number (SMS passcodes) and a reset seat in Passgate. */
async function resettableUser(sam: string, extra: { noSeat?: boolean; noMobile?: boolean } = {}) {
  const user = await createUser(dc, { sam, ...(extra.noMobile ? {} : { mobile: '+33612345678' }) });
  const stored = await passgate.core.directory.find(sam);
  if (!stored) throw new Error(`${sam} not found through Passgate's directory`);
  if (!extra.noSeat) await giveResetSeat(passgate, stored.id);
  return { ...user, id: stored.id };
}

async function adAttribute(sam: string, name: string): Promise<string | undefined> {
  const [entry] = await ldapsearch(dc, `(sAMAccountName=${sam})`, [name]);
  return attr(entry!, name);
}

describe('a password reset', () => {
  it('sets the new password over LDAPS: it binds, the old one does not, and no change is forced', async () => {
    const user = await resettableUser('rs-alice');
    // Samba (like Windows for NTLM) lets the previous password bind for an hour ("old password
    // allowed period"), taken from the password history: with a history of 1 there is none.
    await createPso(dc, { name: 'rs-alice-pso', appliesTo: [user], historyLength: 1 });
    // A single sign-on session of the user elsewhere (someone who knows the old password, maybe).
    const stored = (await passgate.core.users.findById(user.id))!;
    const { session } = await composeSessions(passgate.core).start({
      user: stored,
      amr: ['pwd'],
      mfa: false,
      address: '192.0.2.9',
      country: null,
    });
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, 'rs-alice');
    expect(verified.body).toContain('id="rules"');
    expect(verified.body).toContain('Staff password reset');
    const done = await post(browser, site, verified, 'password', {
      password: 'Fresh-Passw0rd-42',
      confirm: 'Fresh-Passw0rd-42',
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('data-action="reset"');
    expect(await browser.jar.getCookieString(site)).not.toContain('passgate.session=');
    expect(await directBind(dc, user.upn, 'Fresh-Passw0rd-42')).toBe('ok');
    expect(await directBind(dc, user.upn, user.password!)).toBe('52e');
    // pwdLastSet is now (not 0): AD does not ask for another change at the next sign-in (no 773).
    expect(Number(await adAttribute('rs-alice', 'pwdLastSet'))).toBeGreaterThan(0);
    const [event] = await passgate.core.audit.recent({ type: 'reset.password', userId: user.id, limit: 1 });
    expect(event).toMatchObject({ outcome: 'success', details: { site: 'staff', sessionsEnded: 1 } });
    // Every session of the user ended; the reset itself started none.
    expect(await passgate.core.repositories.sessions.findById(session.id)).toMatchObject({
      revoked_reason: 'password_reset',
    });
    // The user is told, by SMS here (no e-mail address), with "if this was not you".
    const notice = outbox(passgate)
      .filter((m) => m.to === '+33612345678')
      .at(-1)!;
    expect(notice.text).toContain('rs-alice');
    expect(notice.text).toContain('If this was not you');
    // The journey was spent: the same form again is refused.
    const again = await post(browser, site, verified, 'password', {
      password: 'Other-Passw0rd-43',
      confirm: 'Other-Passw0rd-43',
    });
    expect(again.status).toBe(400);
    expect(await directBind(dc, user.upn, 'Fresh-Passw0rd-42')).toBe('ok');
  });

  it('clears a forced change: a user who had to change their password at the next sign-in binds at once', async () => {
    const user = await resettableUser('rs-must');
    const client = new Client({ url: dc.url, tlsOptions: { ca: [readFileSync(dc.caFile)] } });
    await client.bind(dc.adminDn, dc.adminPassword);
    await client.modify(user.dn, [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }),
      }),
    ]);
    await client.unbind();
    expect(await directBind(dc, user.upn, user.password!)).toBe('773');
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, 'rs-must');
    await post(browser, site, verified, 'password', {
      password: 'Fresh-Passw0rd-44',
      confirm: 'Fresh-Passw0rd-44',
    });
    expect(await directBind(dc, user.upn, 'Fresh-Passw0rd-44')).toBe('ok');
  });

  it("shows the user's fine-grained rules before typing, and explains AD's refusals in plain words", async () => {
    const user = await resettableUser('rs-rules');
    await createPso(dc, {
      name: 'rs-rules-pso',
      appliesTo: [user],
      minPasswordLength: 12,
      historyLength: 5,
      minPasswordAgeDays: 2,
    });
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, 'rs-rules');
    expect(verified.body).toContain('have at least 12 characters');
    expect(verified.body).toContain('be different from your last 5 passwords');
    expect(verified.body).toContain('data-rule="complexity"');
    expect(verified.body).toContain('again after 2 days');
    const short = await post(browser, site, verified, 'password', {
      password: 'Sh0rt-pw',
      confirm: 'Sh0rt-pw',
    });
    expect(short.status).toBe(400);
    expect(short.body).toContain('data-refusal="tooShort"');
    expect(short.body).toContain('This password is too short.');
    // The journey goes on (renewed): the next form is the new page's.
    const simple = await post(browser, site, short, 'password', {
      password: 'aaaaaaaaaaaaaaaa',
      confirm: 'aaaaaaaaaaaaaaaa',
    });
    expect(simple.body).toContain('data-refusal="complexity"');
    expect(simple.body).toContain('This password is too simple.');
    const differ = await post(browser, site, simple, 'password', {
      password: 'Fresh-Passw0rd-45',
      confirm: 'x',
    });
    expect(differ.body).toContain('data-code="RESET_PASSWORDS_DIFFER"');
    const ok = await post(browser, site, differ, 'password', {
      password: 'Fresh-Passw0rd-45',
      confirm: 'Fresh-Passw0rd-45',
    });
    expect(ok.body).toContain('data-action="reset"');
    const failures = await passgate.core.audit.recent({ type: 'reset.password', userId: user.id, limit: 5 });
    expect(failures.filter((e) => e.outcome === 'failure').map((e) => e.details.rule)).toEqual([
      'complexity',
      'tooShort',
    ]);
  });

  it("explains AD's history refusal (Samba enforces history on a user's own change; its answer is translated)", async () => {
    const user = await createUser(dc, { sam: 'rs-history' });
    await createPso(dc, { name: 'rs-history-pso', appliesTo: [user], historyLength: 5 });
    const client = new Client({ url: dc.url, tlsOptions: { ca: [readFileSync(dc.caFile)] } });
    const pwd = (p: string) =>
      new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${p}"`, 'utf16le')] });
    let refusal: unknown;
    try {
      await client.bind(user.dn, user.password!);
      await client.modify(user.dn, [
        new Change({ operation: 'delete', modification: pwd(user.password!) }),
        new Change({ operation: 'add', modification: pwd(user.password!) }),
      ]);
    } catch (error) {
      refusal = error;
    } finally {
      await client.unbind();
    }
    expect(refusal).toBeInstanceOf(ResultCodeError);
    expect((refusal as Error).message).toMatch(/^0000052D/);
    expect(passwordRefusal(passwordWriteRefusal(refusal))).toBe('history');
  });
});

describe('an unlock', () => {
  it('unlocks an account locked by real bad binds: lockoutTime back to 0, the password unchanged and binding', async () => {
    const user = await resettableUser('rs-locked');
    await createPso(dc, { name: 'rs-locked-pso', appliesTo: [user], lockoutThreshold: 3, complexity: true });
    for (let i = 0; i < 3; i++) await directBind(dc, user.upn, 'Wrong-Passw0rd-1');
    expect(await directBind(dc, user.upn, user.password!)).toBe('775');
    expect(Number(await adAttribute('rs-locked', 'lockoutTime'))).toBeGreaterThan(0);
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, 'rs-locked');
    const done = await post(browser, site, verified, 'unlock');
    expect(done.body).toContain('data-action="unlock"');
    expect(await adAttribute('rs-locked', 'lockoutTime')).toBe('0');
    expect(await directBind(dc, user.upn, user.password!)).toBe('ok');
    const [event] = await passgate.core.audit.recent({ type: 'reset.unlock', userId: user.id, limit: 1 });
    expect(event?.outcome).toBe('success');
  });
});

describe('the neutral step', () => {
  it('answers an unknown user, a user without a reset seat and one without a factor alike, in similar time', async () => {
    await resettableUser('rs-noseat', { noSeat: true });
    await resettableUser('rs-nofactor', { noMobile: true });
    const known = await resettableUser('rs-known');
    const answers: Record<string, { body: string; ms: number; status: number }> = {};
    for (const name of ['rs-nobody-at-all', 'rs-noseat', 'rs-nofactor']) {
      const { answer, ms } = await identify(new Browser(), site, name);
      answers[name] = {
        body: answer.body.replace(/name="_csrf" value="[^"]*"/g, ''),
        ms,
        status: answer.status,
      };
    }
    const { ms: knownMs, answer } = await identify(new Browser(), site, 'rs-known');
    expect(answer.status).toBe(303);
    const [unknown, noSeat, noFactor] = Object.values(answers);
    expect(unknown!.status).toBe(200);
    expect(unknown!.body).toContain('id="neutral"');
    expect(noSeat!.body).toBe(unknown!.body);
    expect(noFactor!.body).toBe(unknown!.body);
    // Every answer waits for the same floor; the work behind it (LDAP, policy) hides under it.
    for (const ms of [unknown!.ms, noSeat!.ms, noFactor!.ms, knownMs]) {
      expect(ms).toBeGreaterThanOrEqual(NEUTRAL_MS - 5);
      expect(ms).toBeLessThan(NEUTRAL_MS + 400);
    }
    const reasons = await passgate.core.audit.recent({ type: 'reset.identify', limit: 10 });
    const byName = Object.fromEntries(reasons.map((e) => [e.username, e.reason ?? e.outcome]));
    expect(byName).toMatchObject({
      'rs-nobody-at-all': 'UNKNOWN_USER',
      'rs-noseat': 'NO_RESET_SEAT',
      'rs-nofactor': 'NO_FACTOR',
      'rs-known': 'success',
    });
    expect(known.id).toBeTruthy();
  });
});

describe('two reset sites on one server', () => {
  it('serves each site only on its own host and path, with its own actions', async () => {
    // The unlock-only site answers on its host name alone.
    const elsewhere = await new Browser().fetch(site.replace('/reset', '/unlock'));
    expect(elsewhere.status).toBe(404);
    const page = await new Browser().fetch(unlockSite);
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/unlock/brand.css"');
    const staff = await new Browser().fetch(`${site}/brand.css`);
    expect(staff.body).toContain('--accent: #7a1fa2;');
    expect((await new Browser().fetch(`${unlockSite}/brand.css`)).body).not.toContain('#7a1fa2');
  });

  it('never lets a journey of one site act on the other, nor an action the site does not offer', async () => {
    const user = await resettableUser('rs-twosites');
    const browser = new Browser();
    const verified = await verify(passgate, browser, unlockSite, 'rs-twosites');
    expect(verified.body).toContain('id="unlock-section"');
    expect(verified.body).not.toContain('id="reset-section"');
    // The kiosk's journey is no journey of the staff site.
    const elsewhere = await post(browser, site, verified, 'password', {
      password: 'Fresh-Passw0rd-46',
      confirm: 'Fresh-Passw0rd-46',
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toContain('id="expired"');
    // Nor does the kiosk reset a password.
    const refused = await post(browser, unlockSite, verified, 'password', {
      password: 'Fresh-Passw0rd-46',
      confirm: 'Fresh-Passw0rd-46',
    });
    expect(refused.status).toBe(404);
    expect(await directBind(dc, user.upn, user.password!)).toBe('ok');
    expect(await passgate.core.audit.recent({ type: 'reset.password', userId: user.id, limit: 5 })).toEqual(
      [],
    );
    // Its own action works, and is recorded as the kiosk's.
    const again = await verify(passgate, browser, unlockSite, 'rs-twosites');
    const done = await post(browser, unlockSite, again, 'unlock');
    expect(done.body).toContain('data-action="unlock"');
    const [event] = await passgate.core.audit.recent({ type: 'reset.unlock', userId: user.id, limit: 1 });
    expect(event?.details.site).toBe('kiosk');
  });
});
