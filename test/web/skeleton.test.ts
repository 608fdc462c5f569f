import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadTranslations, type Translations } from '../../src/web/i18n.js';
import { createPageRenderer, languageSwitchBase, type PageRenderer } from '../../src/web/render.js';
import { pageSkeletons } from '../../src/web/skeleton.js';

/** A request as the renderer reads it: the URL and the headers that name a language. */
const request = (lang: string) =>
  ({
    url: `/saml/sso?lang=${lang}`,
    originalUrl: `/saml/sso?lang=${lang}`,
    query: { lang },
    headers: {},
  }) as unknown as IncomingMessage;

/** Values that escaping must change: quotes, markup, ampersands, and text beyond ASCII. */
const AWKWARD = `"><script>alert('x')</script>&amp; Grüße — ${'A'.repeat(50)}`;

describe('page skeletons (a page rendered once, its holes filled per request)', () => {
  let translations: Translations;
  let render: PageRenderer;

  beforeAll(async () => {
    translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    render = createPageRenderer(path.join(PACKAGE_ROOT, 'views'), translations, true);
  });

  it('fills the SAML post page exactly as the template renders it, escaped, in each language', async () => {
    const skeletons = pageSkeletons(render, (req) => translations.detect(req), true);
    for (const lang of ['en', 'de', 'ja']) {
      for (const relayState of [undefined, AWKWARD, '']) {
        const fixed = { acsUrl: 'https://sp.example.com/acs?a=1&b="2"', applicationName: `Wiki ${AWKWARD}` };
        const values = {
          samlResponse: `PHNhbWxwOlJlc3BvbnNl+/=${AWKWARD}`,
          ...(relayState !== undefined ? { relayState } : {}),
        };
        const direct = await render(request(lang), 'saml/post', {
          ...fixed,
          ...values,
          languageSwitch: false,
        });
        const skeleton = await skeletons.page(request(lang), 'saml/post', {
          fixed: { ...fixed, languageSwitch: false },
          filled: Object.keys(values),
        });
        expect(skeleton.fill(values)).toBe(direct);
        expect(direct).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;');
        expect(direct).not.toContain('<script>alert');
        if (relayState === undefined) expect(direct).not.toContain('name="RelayState"');
        else expect(direct).toContain('name="RelayState"');
      }
    }
  });

  it('renders a page once per language and fixed locals, and each request gets its own values', async () => {
    let renders = 0;
    const counting: PageRenderer = (req, view, locals) => {
      renders++;
      return render(req, view, locals);
    };
    const skeletons = pageSkeletons(counting, (req) => translations.detect(req), true);
    const spec = {
      fixed: { acsUrl: 'https://sp.example.com/acs', applicationName: 'Wiki' },
      filled: ['samlResponse'],
    };
    const first = (await skeletons.page(request('en'), 'saml/post', spec)).fill({ samlResponse: 'first' });
    const second = (await skeletons.page(request('en'), 'saml/post', spec)).fill({ samlResponse: 'second' });
    expect(renders).toBe(1);
    expect(first).toContain('value="first"');
    expect(second).toContain('value="second"');
    expect(second).not.toContain('first');
    await skeletons.page(request('de'), 'saml/post', spec);
    await skeletons.page(request('en'), 'saml/post', {
      ...spec,
      fixed: { ...spec.fixed, applicationName: 'Mail' },
    });
    expect(renders).toBe(3);
  });

  it('renders every page anew without the cache (development mode)', async () => {
    let renders = 0;
    const counting: PageRenderer = (req, view, locals) => {
      renders++;
      return render(req, view, locals);
    };
    const skeletons = pageSkeletons(counting, (req) => translations.detect(req), false);
    const spec = {
      fixed: { acsUrl: 'https://sp.example.com/acs', applicationName: 'Wiki' },
      filled: ['samlResponse'],
    };
    await skeletons.page(request('en'), 'saml/post', spec);
    await skeletons.page(request('en'), 'saml/post', spec);
    expect(renders).toBe(2);
  });

  it('refuses a template that does not print a hole as it is', async () => {
    const skeletons = pageSkeletons(render, (req) => translations.detect(req), true);
    await expect(
      skeletons.page(request('en'), 'saml/post', {
        fixed: { acsUrl: 'https://sp.example.com/acs', applicationName: 'Wiki' },
        filled: ['samlResponse', 'notInTheTemplate'],
      }),
    ).rejects.toThrow(/does not print notInTheTemplate/);
  });

  it('fills the login page exactly as the template renders it, language switcher included', async () => {
    const skeletons = pageSkeletons(render, (req) => translations.detect(req), true);
    const uid = 'Ab_9-xY';
    for (const lang of ['en', 'de', 'ja']) {
      for (const url of [`/login/${uid}`, `/login/${uid}?lang=${lang}&x="1"<b>`]) {
        for (const username of ['', AWKWARD]) {
          const req = {
            url,
            originalUrl: url,
            query: { lang },
            headers: {},
          } as unknown as IncomingMessage;
          const values = { uid, csrfToken: `tok${AWKWARD}`, ...(username ? { username } : {}) };
          const fixed = { clientName: `Wiki ${AWKWARD}`, error: null };
          const direct = await render(req, 'login/login', { ...fixed, ...values, username });
          const skeleton = await skeletons.page(req, 'login/login', {
            fixed: { ...fixed, languageSwitch: true, ...(username ? {} : { username }) },
            filled: [...Object.keys(values), 'switchBase'],
          });
          expect(skeleton.fill({ ...values, switchBase: languageSwitchBase(req) })).toBe(direct);
          expect(direct).toContain('hreflang');
          expect(direct).not.toContain('<script>alert');
          if (username) expect(direct).toMatch(/name="password"[^>]*autofocus/);
          else expect(direct).toMatch(/name="username"[^>]*autofocus/);
        }
      }
    }
  });

  it('refuses a page with the language switcher whose links are not a hole', async () => {
    const skeletons = pageSkeletons(render, (req) => translations.detect(req), true);
    await expect(
      skeletons.page(request('en'), 'login/login', {
        fixed: { clientName: 'Wiki', error: null, username: '', languageSwitch: true },
        filled: ['uid', 'csrfToken'],
      }),
    ).rejects.toThrow(/switchBase among its holes/);
  });
});
