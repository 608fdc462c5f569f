import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadTranslations } from '../../src/web/i18n.js';
import { Browser, formAction, formField } from '../support/browser.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';

describe('languages of the hosted login page', () => {
  let passgate: TestServer;
  let authorize: string;

  beforeAll(async () => {
    passgate = await startTestServer();
    await passgate.addUser('alice', 'correct horse battery');
    const url = new URL(`${passgate.url}/oidc/auth`);
    for (const [k, v] of Object.entries({
      client_id: TEST_CLIENT.client_id,
      redirect_uri: TEST_CLIENT.redirect_uris[0]!,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(k, v);
    }
    authorize = url.toString();
  });
  afterAll(() => passgate?.close());

  const loginPage = async (browser: Browser) => (await browser.follow(authorize)).last;
  const title = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

  it('is English by default', async () => {
    const page = await loginPage(new Browser());
    expect(page.body).toContain('<html lang="en">');
    expect(title(page.body)).toBe('Sign in');
    expect(page.body).toContain('Sign in to continue to Test Application.');
  });

  it('follows Accept-Language', async () => {
    const page = await loginPage(new Browser({ 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.5' }));
    expect(page.body).toContain('<html lang="fr">');
    expect(title(page.body)).toBe('Connexion');
    expect(page.body).toContain('Connectez-vous pour continuer vers Test Application.');
  });

  it('lets ?lang= win over Accept-Language and remembers the choice in a cookie', async () => {
    const browser = new Browser({ 'accept-language': 'en' });
    const page = await loginPage(browser);
    const switcher = /href="([^"]*lang=fr)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(switcher).toMatch(/^\/login\/[\w-]+\?lang=fr$/);
    const french = await browser.fetch(new URL(switcher!, page.url).toString());
    expect(title(french.body)).toBe('Connexion');
    expect(french.headers.get('set-cookie')).toMatch(/passgate_lang=fr;.*HttpOnly/i);
    // Later pages (another sign-in) keep French without ?lang=.
    expect(title((await loginPage(browser)).body)).toBe('Connexion');
  });

  it('serves Norwegian Bokmål to browsers that ask for "no" or Nynorsk', async () => {
    const expected = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales/nb/login.json'), 'utf8')).title;
    for (const header of ['no', 'nn-NO, no;q=0.9']) {
      const page = await loginPage(new Browser({ 'accept-language': header }));
      expect(page.body).toContain('<html lang="nb">');
      expect(title(page.body)).toBe(expected);
    }
  });

  it('ignores an unknown language', async () => {
    const page = await loginPage(new Browser({ 'accept-language': 'xx' }));
    expect(title(page.body)).toBe('Sign in');
    const page2 = await new Browser().fetch(`${(await loginPage(new Browser())).url}?lang=../../etc`);
    expect(page2.body).toContain('<html lang="en">');
  });

  it('shows sign-in errors in the chosen language', async () => {
    const browser = new Browser({ 'accept-language': 'fr' });
    const page = await loginPage(browser);
    const failed = await browser.fetch(formAction(page.body, page.url), {
      form: { _csrf: formField(page.body, '_csrf')!, username: 'alice', password: 'wrong password' },
    });
    expect(failed.status).toBe(401);
    expect(failed.body).toContain('Le nom d’utilisateur ou le mot de passe est incorrect.');
    expect(failed.body).toContain('value="alice"');
  });

  it('escapes what the user typed', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const failed = await browser.fetch(formAction(page.body, page.url), {
      form: { _csrf: formField(page.body, '_csrf')!, username: '"><script>alert(1)</script>', password: 'x' },
    });
    expect(failed.body).not.toContain('<script>alert(1)</script>');
    expect(failed.body).toContain('&#34;&gt;&lt;script&gt;');
  });
});

describe('the language of a known user', () => {
  const request = (headers: Record<string, string>, url = '/') =>
    ({ headers, url, query: Object.fromEntries(new URL(url, 'http://x').searchParams) }) as never;

  it('comes after what the request names, and before the default', async () => {
    const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    // The browser names a language we have: it wins over the directory's.
    expect(translations.detect(request({ 'accept-language': 'fr-FR' }), 'de-DE')).toBe('fr');
    expect(translations.detect(request({}, '/?lang=ru'), 'de-DE')).toBe('ru');
    // Nothing usable in the request: the user's preferredLanguage from AD, in any of its forms.
    expect(translations.detect(request({ 'accept-language': 'xx' }), 'de-DE')).toBe('de');
    expect(translations.detect(request({}), 'ko')).toBe('ko');
    // Neither: the default.
    expect(translations.detect(request({}), 'pt-BR')).toBe('en');
    expect(translations.detect(request({}), null)).toBe('en');
    // An explicit English request is not overridden by the directory.
    expect(translations.detect(request({ 'accept-language': 'en-GB' }), 'de-DE')).toBe('en');
  });

  it('reads ?lang= from the URL alone, wherever it stands in the query', async () => {
    const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    // A request that names it nowhere in a parsed query still gets it from its URL.
    const bare = (url: string) => ({ headers: {}, url, query: {} }) as never;
    expect(translations.detect(bare('/saml/sso?SAMLRequest=abc%2Bdef&RelayState=x&lang=de'))).toBe('de');
    expect(translations.detect(bare('/page?lang=de-AT'))).toBe('de');
    // Another parameter that ends in "lang", an undecodable or unknown value: not a language.
    expect(translations.detect(bare('/page?xlang=de'))).toBe('en');
    expect(translations.detect(bare('/page?lang=%E0%A4%A'))).toBe('en');
    expect(translations.detect(bare('/page?lang=xx'))).toBe('en');
  });

  it('reads only the default language at start, and each other one whole on its first use', async () => {
    const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    const loaded = () => Object.keys(translations.i18n.store.data).sort();
    expect(loaded()).toEqual(['en']);
    const german = (namespace: string) =>
      JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales', 'de', `${namespace}.json`), 'utf8'));
    // The first question in a language already gets its text, through each way of asking.
    expect(translations.i18n.t('common:errors.generic', { lng: 'de' })).toBe(german('common').errors.generic);
    expect(translations.i18n.getFixedT('fr')('common:errors.generic')).not.toBe(
      translations.i18n.t('common:errors.generic', { lng: 'en' }),
    );
    expect(translations.i18n.exists('login:title', { lng: 'ko' })).toBe(true);
    // A regional tag brings its base language.
    expect(translations.i18n.t('common:errors.generic', { lng: 'pl-PL' })).not.toBe(
      translations.i18n.t('common:errors.generic', { lng: 'en' }),
    );
    expect(loaded()).toEqual(['de', 'en', 'fr', 'ko', 'pl']);
    // Every namespace file of the language (admin is English-only: German has no admin.json).
    const files = readdirSync(path.join(PACKAGE_ROOT, 'locales', 'de')).map((file) =>
      file.replace(/\.json$/, ''),
    );
    expect(Object.keys(translations.i18n.store.data.de!).sort()).toEqual(files.sort());
  });
});
