import { PASSWORD, type PolicyServer } from '../policy/support.js';
import type { Exchange } from '../support/browser.js';
import { SiteBrowser } from '../support/site-browser.js';

/** A browser on the self-service site, signing in through the hosted login as a user does. */
export class SelfServiceBrowser extends SiteBrowser<PolicyServer> {
  /**
   * Signs in from /selfservice: the password, then a code when the second-factor page shows
   * (`code` computes it). Ends on the page Passgate shows last.
   */
  signIn(username: string, code?: () => string): Promise<Exchange> {
    return this.signInFrom('/selfservice', username, PASSWORD, code);
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
