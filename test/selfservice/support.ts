import { PASSWORD, type PolicyServer } from '../policy/support.js';
import { Browser, type Exchange, formField } from '../support/browser.js';

/** A browser on the self-service site, signing in through the hosted login as a user does. */
export class SelfServiceBrowser {
  page!: Exchange;
  constructor(
    readonly server: PolicyServer,
    readonly browser = new Browser(),
  ) {}

  /** Opens a path (following redirects) and keeps the page. */
  async open(path: string): Promise<Exchange> {
    this.page = (await this.browser.follow(new URL(path, this.server.url).toString())).last;
    return this.page;
  }

  /** Posts a form to a path with the current page's CSRF token, following redirects. */
  async post(path: string, form: Record<string, string> = {}): Promise<Exchange> {
    const csrf = formField(this.page.body, '_csrf') ?? '';
    this.page = (
      await this.browser.follow(new URL(path, this.server.url).toString(), { form: { _csrf: csrf, ...form } })
    ).last;
    return this.page;
  }

  /**
   * Signs in from /selfservice: the password, then a code when the second-factor page shows
   * (`code` computes it). Ends on the page Passgate shows last.
   */
  async signIn(username: string, code?: () => string): Promise<Exchange> {
    await this.open('/selfservice');
    if (!this.page.body.includes('name="password"')) throw new Error(`no login page: ${this.page.url}`);
    await this.post(this.formAction(), { username, password: PASSWORD });
    if (/\/mfa$/.test(this.page.url) && code)
      await this.post(this.formAction(), { action: 'verify', code: code() });
    return this.page;
  }

  /** The first form's action on the current page. */
  formAction(): string {
    const action = /<form[^>]*action="([^"]+)"/.exec(this.page.body)?.[1];
    if (!action) throw new Error(`no form on ${this.page.url}: ${this.page.body.slice(0, 300)}`);
    return action.replace(/&amp;/g, '&');
  }

  /** Whether the self-service home page shows. */
  get atHome(): boolean {
    return (
      this.page.status === 200 &&
      new URL(this.page.url).pathname === '/selfservice' &&
      this.page.body.includes('id="tokens-title"')
    );
  }

  /** Starts an enrolment with a profile; returns the pending token's id (from the confirm page's URL). */
  async enrol(profile = 'default'): Promise<string | undefined> {
    await this.open('/selfservice/enrol');
    if (!this.page.body.includes('name="profile"')) return undefined;
    await this.post('/selfservice/enrol', { profile });
    return /\/selfservice\/tokens\/([^/]+)\/confirm$/.exec(this.page.url)?.[1];
  }

  /** The secret shown on the confirm page (spaces removed). */
  get shownSecret(): string {
    const secret = /<code id="secret"[^>]*>([^<]+)<\/code>/.exec(this.page.body)?.[1];
    if (!secret) throw new Error(`no secret on ${this.page.url}`);
    return secret.replace(/\s+/g, '');
  }

  /** The error code the page shows in its error summary (from the translated text's key). */
  get errorText(): string | undefined {
    return /<div class="error-summary"[\s\S]*?<p>([^<]*)<\/p>/.exec(this.page.body)?.[1];
  }
}
