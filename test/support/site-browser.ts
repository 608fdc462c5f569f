import { Browser, type Exchange, formField } from './browser.js';

/** What tells a login page. */
const PASSWORD_FIELD = 'name="password"';

/**
 * A browser on one of Passgate's sites (administration, self-service) that signs in through the
 * hosted login: the page handling both sites' tests share.
 */
export class SiteBrowser<Server extends { url: string }> {
  page!: Exchange;
  constructor(
    readonly server: Server,
    readonly browser = new Browser(),
  ) {}

  /** Opens a path (following redirects) and keeps the page. */
  async open(path: string): Promise<Exchange> {
    this.page = (await this.browser.follow(new URL(path, this.server.url).toString())).last;
    return this.page;
  }

  /** Posts a form to a path with the current page's CSRF token (unless `form` sets one), following redirects. */
  async post(path: string, form: Record<string, string> = {}): Promise<Exchange> {
    const csrf = formField(this.page.body, '_csrf') ?? '';
    this.page = (
      await this.browser.follow(new URL(path, this.server.url).toString(), { form: { _csrf: csrf, ...form } })
    ).last;
    return this.page;
  }

  /** The first form's action on the current page. */
  formAction(): string {
    const action = /<form[^>]*action="([^"]+)"/.exec(this.page.body)?.[1];
    if (!action) throw new Error(`no form on ${this.page.url}: ${this.page.body.slice(0, 300)}`);
    return action.replace(/&amp;/g, '&');
  }

  /**
   * Signs in from a site's home: the password, then a code when the second-factor page shows
   * (`code` computes it; without it the browser stops there). Ends on the page Passgate shows last.
   */
  protected async signInFrom(
    home: string,
    username: string,
    password: string,
    code?: () => string,
  ): Promise<Exchange> {
    await this.open(home);
    if (!this.page.body.includes(PASSWORD_FIELD)) throw new Error(`no login page: ${this.page.url}`);
    await this.post(this.formAction(), { username, password });
    if (/\/mfa$/.test(this.page.url) && code)
      await this.post(this.formAction(), { action: 'verify', code: code() });
    return this.page;
  }
}
