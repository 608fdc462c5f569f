// The password-reset door on the local directory: the same journey sets a new scrypt hash, the
// rules of the local directory apply, a journey belongs to the browser that started it, and the
// user-name step is throttled per user name; the second-factor step wears the site's branding.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { giveResetSeat, identify, post, verify } from './support.js';

let passgate: TestServer;
let site: string;
const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>';
beforeAll(async () => {
  const logoFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'passgate-reset-logo-')), 'logo.svg');
  writeFileSync(logoFile, LOGO);
  passgate = await startTestServer({
    config: {
      reset: {
        neutralMinMs: 0,
        perUser: { maxFailures: 3 },
        sites: [
          {
            name: 'local',
            path: '/account-help',
            title: 'Contoso Account Help',
            logoFile,
            colours: { accent: '#0b6e4f', background: '#f4efe6' },
          },
        ],
      },
    },
  });
  site = `${passgate.url}/account-help`;
});
afterAll(async () => {
  await passgate?.close();
});

async function localUser(username: string) {
  const user = await passgate.addUser(username, 'Old-password-1', { mobile: '+33612349999' });
  await giveResetSeat(passgate, user.id);
  return user;
}

describe('a reset on the local directory', () => {
  it('sets a new password hash: the new password signs in, the old one no longer does', async () => {
    await localUser('lena');
    const browser = new Browser();
    const verified = await verify(passgate, browser, site, 'lena');
    expect(verified.body).toContain('have at least 8 characters');
    const short = await post(browser, site, verified, 'password', { password: 'short', confirm: 'short' });
    expect(short.body).toContain('data-refusal="tooShort"');
    const done = await post(browser, site, short, 'password', {
      password: 'New-password-2',
      confirm: 'New-password-2',
    });
    expect(done.body).toContain('data-action="reset"');
    expect((await passgate.core.directory.authenticate('lena', 'New-password-2')).username).toBe('lena');
    await expect(passgate.core.directory.authenticate('lena', 'Old-password-1')).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
  });

  it('lets no other browser carry on a journey it did not start', async () => {
    await localUser('lars');
    const { answer } = await identify(new Browser(), site, 'lars');
    expect(answer.status).toBe(303);
    const other = await new Browser().fetch(new URL(answer.headers.get('location')!, site).toString());
    expect(other.status).toBe(400);
    expect(other.body).not.toContain('name="code"');
    // Nor does a browser without a verified journey reach the last step.
    expect((await new Browser().fetch(`${site}/verified`)).status).toBe(400);
  });

  it('refuses more journeys for one user name than perUser allows, and says so', async () => {
    await localUser('lotta');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await identify(new Browser(), site, 'lotta')).answer.status);
    expect(statuses).toEqual([303, 303, 303, 429]);
    const { answer } = await identify(new Browser(), site, 'lotta');
    expect(answer.body).toContain('data-code="RESET_THROTTLED"');
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it("shows the site's title, logo and colours on the second-factor step, as on its own pages", async () => {
    await localUser('lisa');
    const browser = new Browser();
    const own = await browser.fetch(site);
    expect(own.body).toContain('id="site-title">Contoso Account Help<');
    const { answer } = await identify(browser, site, 'lisa');
    expect(answer.status).toBe(303);
    const login = new URL(answer.headers.get('location')!, site).toString();
    const toMfa = await browser.fetch(login);
    expect(toMfa.status).toBe(303);
    const mfa = await browser.fetch(new URL(toMfa.headers.get('location')!, login).toString());
    expect(mfa.status).toBe(200);
    expect(mfa.body).toContain('name="code"');
    expect(mfa.body).toMatch(/<title>[^<]+ · Contoso Account Help<\/title>/);
    expect(mfa.body).toContain('<link rel="stylesheet" href="/account-help/brand.css">');
    expect(mfa.body).toContain('id="site-logo" src="/account-help/logo"');
    expect(mfa.body).toMatch(/<p class="brand" id="site-title">Contoso Account Help<\/p>/);
    expect(mfa.body).not.toContain('<p class="brand">Passgate</p>');
    // What the page links to is the site's: its colours and its logo.
    const css = await browser.fetch(`${passgate.url}/account-help/brand.css`);
    expect(css.body).toContain('--accent: #0b6e4f;');
    expect(css.body).toContain('background: #f4efe6;');
    const logo = await browser.fetch(`${passgate.url}/account-help/logo`);
    expect(logo.headers.get('content-type')).toContain('image/svg+xml');
    expect(logo.body).toBe(LOGO);
  });
});
