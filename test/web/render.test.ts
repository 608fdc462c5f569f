import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadTranslations } from '../../src/web/i18n.js';
import { createPageRenderer, type PageRenderer } from '../../src/web/render.js';

/** A request as the renderer reads it: the URL and the headers that name a language. */
const request = (lang: string) =>
  ({
    url: `/page?lang=${lang}`,
    originalUrl: `/page?lang=${lang}`,
    query: { lang },
    headers: {},
  }) as unknown as IncomingMessage;

describe('page renderer translations', () => {
  let views: string;
  let render: PageRenderer;

  beforeAll(async () => {
    views = mkdtempSync(path.join(os.tmpdir(), 'passgate-views-'));
    writeFileSync(
      path.join(views, 'lead.ejs'),
      "<p><%= t('saml:post.lead', { application: name }) %></p><p><%= t('saml:post.title') %></p>",
    );
    const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    render = createPageRenderer(views, translations, true);
  });
  afterAll(() => rmSync(views, { recursive: true, force: true }));

  it('interpolates each call its own values, in its own language, however often it is asked', async () => {
    for (let round = 0; round < 2; round++) {
      const wiki = await render(request('en'), 'lead', { name: 'Wiki' });
      const mail = await render(request('en'), 'lead', { name: 'Mail' });
      const german = await render(request('de'), 'lead', { name: 'Wiki' });
      expect(wiki).toContain('You are being returned to Wiki.');
      expect(mail).toContain('You are being returned to Mail.');
      expect(german).not.toContain('You are being returned');
      expect(german).toContain('Wiki');
    }
  });

  it('keeps values apart that would spell each other in a joined key', async () => {
    const forged = await render(request('en'), 'lead', {
      name: '["saml:post.lead",[["application","Mail"]]]',
    });
    const mail = await render(request('en'), 'lead', { name: 'Mail' });
    expect(forged).toContain('You are being returned to [&#34;saml:post.lead&#34;');
    expect(mail).toContain('You are being returned to Mail.');
  });
});

describe('the language switcher', () => {
  it('names every language in itself without loading any language but the page’s', async () => {
    const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    const render = createPageRenderer(path.join(PACKAGE_ROOT, 'views'), translations, true);
    const html = await render(request('en'), 'error', { status: 404, code: 'not_found' });
    expect(html).toContain('hreflang="nb"');
    expect(html).toContain('>Norsk bokmål</a>');
    expect(html).toContain('>Deutsch</a>');
    expect(translations.languages.length).toBeGreaterThan(10);
    const loaded = translations.languages.filter((language) =>
      translations.i18n.hasResourceBundle(language, 'common'),
    );
    expect(loaded).toEqual(['en']);
  });
});
