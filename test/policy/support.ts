import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as client from 'openid-client';
import type { ConfigInput } from '../../src/config/schema.js';
import type { RecordedAuditEvent } from '../../src/store/repositories/audit.js';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import type { Backend } from '../support/databases.js';
import { discover } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestClient, type TestServer } from '../support/server.js';

/** The password of every test user. */
export const PASSWORD = 'correct horse battery';
export const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
/** ACRs as the ID token carries them. */
export const ACR_PASSWORD = 'urn:passgate:acr:password';
export const ACR_MFA = 'urn:passgate:acr:mfa';
const SECRET = Buffer.from('12345678901234567890');

/** A clock that runs with real time, plus an offset the test can move forward. */
export interface ShiftedClock {
  (): number;
  advance(ms: number): void;
}

/** Real time, so that oidc-provider (which reads Date) and Passgate agree until the test moves it. */
export function shiftedClock(): ShiftedClock {
  let offset = 0;
  const clock = (() => Date.now() + offset) as ShiftedClock;
  clock.advance = (ms) => {
    offset += ms;
  };
  return clock;
}

/** A test server whose clock the test can move, plus policy-test helpers. */
export interface PolicyServer extends TestServer {
  clock: ShiftedClock;
  /** openid-client configured for one of the registered clients. */
  rp(clientId?: string): Promise<client.Configuration>;
  /** A user with a TOTP token (the code comes from {@link PolicyServer.totp}). */
  addTotpUser(username: string, extra?: Partial<User>): Promise<User>;
  /** A TOTP code of the user's token: moves the clock to the next time step, and gives its code. */
  totp(): string;
  /** The most recent `login` audit events of a user, newest first. */
  logins(username: string): Promise<RecordedAuditEvent[]>;
  /** Messages the outbox gateway wrote, oldest first. */
  outbox(): Array<{ channel: string; to: string; text: string }>;
}

/** startTestServer on a clock the test can move, with the helpers the policy tests share. */
export async function startPolicyServer(
  options: { backend?: Backend; config?: ConfigInput; clients?: TestClient[]; databaseUrl?: string } = {},
): Promise<PolicyServer> {
  const clock = shiftedClock();
  const clients = options.clients ?? [TEST_CLIENT];
  const base = await startTestServer({ ...options, clients, clock });
  const { core } = base;
  const outboxDir = path.join(base.dataDir, 'outbox');
  const addUser: TestServer['addUser'] = (username, password, extra = {}) =>
    base.addUser(username, password, { displayName: username, ...extra });
  return {
    ...base,
    clock,
    addUser,
    async addTotpUser(username, extra = {}) {
      const user = await addUser(username, PASSWORD, extra);
      await enrolOath(
        core.tokens,
        { userId: user.id, label: username, type: 'totp', secret: SECRET },
        'Passgate',
      );
      return user;
    },
    totp() {
      clock.advance(30_000); // a time step of its own: a code is accepted once
      return totpCode(SECRET, timeStep(clock(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    },
    async logins(username) {
      const events = await core.audit.recent({ type: 'login', limit: 200 });
      return events.filter((e) => e.username === username);
    },
    outbox: () =>
      (existsSync(outboxDir) ? readdirSync(outboxDir).sort() : []).map((name) =>
        JSON.parse(readFileSync(path.join(outboxDir, name), 'utf8')),
      ),
    rp: (clientId = TEST_CLIENT.client_id) => {
      const registered = clients.find((c) => c.client_id === clientId)!;
      return discover(base.url, clientId, registered.client_secret as string);
    },
  };
}

/**
 * One authorization-code sign-in driven through the hosted pages by a browser, stopping at each
 * page Passgate shows (password, second factor, error) until it returns to the application.
 */
export class SignIn {
  page!: Exchange;
  callback: string | undefined;
  private constructor(
    readonly config: client.Configuration,
    readonly browser: Browser,
    private readonly checks: { verifier: string; state: string; nonce: string },
  ) {}

  /** Opens the authorization endpoint (with `extra` parameters) and follows to the first stop. */
  static async start(
    config: client.Configuration,
    browser = new Browser(),
    extra: Record<string, string> = {},
  ): Promise<SignIn> {
    const checks = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      ...extra,
    });
    const signIn = new SignIn(config, browser, checks);
    await signIn.go(url.toString());
    return signIn;
  }

  private async go(url: string, init: Parameters<Browser['follow']>[1] = {}) {
    const { last, location } = await this.browser.follow(url, init, (l) => l.startsWith(REDIRECT));
    this.page = last;
    this.callback = location;
    return this;
  }

  /** The password page is showing. */
  get asksPassword(): boolean {
    return !this.callback && this.page.status === 200 && this.page.body.includes('name="password"');
  }

  /** The second-factor page is showing. */
  get asksSecondFactor(): boolean {
    return (
      !this.callback && /\/login\/[\w-]+\/mfa$/.test(this.page.url) && this.page.body.includes('name="code"')
    );
  }

  /** Method types offered on the second-factor page, in order: the one asked for, then the other ways. */
  get offered(): string[] {
    return [...this.page.body.matchAll(/data-offer="(\w+)"/g)].map((m) => m[1]!);
  }

  /** Posts the password form. */
  password(username: string, password = PASSWORD): Promise<this> {
    if (!this.asksPassword) throw new Error(`no password page: ${this.page.status} ${this.page.url}`);
    return this.go(formAction(this.page.body, this.page.url), {
      form: { _csrf: formField(this.page.body, '_csrf') ?? '', username, password },
    });
  }

  /** Posts a code on the second-factor page. */
  code(code: string): Promise<this> {
    if (!this.asksSecondFactor)
      throw new Error(`no second-factor page: ${this.page.status} ${this.page.url}`);
    return this.go(formAction(this.page.body, this.page.url), {
      form: { _csrf: formField(this.page.body, '_csrf') ?? '', action: 'verify', code },
    });
  }

  /** Redeems the code at the token endpoint; openid-client validates the ID token. */
  async claims(): Promise<client.IDToken> {
    if (!this.callback)
      throw new Error(`sign-in did not return (status ${this.page.status}): ${this.page.body.slice(0, 400)}`);
    const tokens = await client.authorizationCodeGrant(this.config, new URL(this.callback), {
      pkceCodeVerifier: this.checks.verifier,
      expectedState: this.checks.state,
      expectedNonce: this.checks.nonce,
    });
    return tokens.claims()!;
  }
}
