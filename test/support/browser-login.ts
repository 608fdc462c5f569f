import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { launchChromium, type TestPages, useTestPages } from './chromium.js';
import { discover } from './relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from './server.js';
import { totpCodes } from './totp-user.js';

/** Everything a browser test file shares: one Passgate, one relying party, one Chromium. */
export interface BrowserSuite {
  passgate: TestServer;
  /** The relying party's openid-client configuration. */
  rp: client.Configuration;
  /** Where Passgate sends the browser back to (a real HTTP endpoint of the relying party). */
  redirectUri: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Starts the relying party's callback endpoint, a Passgate that knows it as a client, and
 * Chromium. The callback answers a plain page; the test redeems the code from its URL.
 */
export async function startBrowserSuite(
  options: { clock?: Clock; config?: ConfigInput } = {},
): Promise<BrowserSuite> {
  const callback = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Test Application</title><h1>Back at the application</h1>');
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  const closeCallback = () => new Promise<void>((resolve) => callback.close(() => resolve()));
  try {
    const [passgate, browser] = await Promise.all([
      startTestServer({
        clients: [{ ...TEST_CLIENT, redirect_uris: [redirectUri] }],
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.config ? { config: options.config } : {}),
      }),
      launchChromium(),
    ]);
    const rp = await discover(passgate.url);
    return {
      passgate,
      rp,
      redirectUri,
      browser,
      close: async () => {
        await Promise.allSettled([browser.close(), passgate.close(), closeCallback()]);
      },
    };
  } catch (error) {
    await closeCallback();
    throw error;
  }
}

/**
 * The browser suite of one test file (call in a `describe`): started once before its tests, closed
 * after them; each test's pages get contexts of their own, closed after it. Read the suite's parts
 * inside tests and hooks only.
 */
export function useBrowserSuite(
  options: Parameters<typeof startBrowserSuite>[0] = {},
): BrowserSuite & TestPages {
  let suite: BrowserSuite | undefined;
  beforeAll(async () => {
    suite = await startBrowserSuite(options);
  });
  afterAll(async () => {
    await suite?.close();
  });
  const started = () => {
    if (!suite) throw new Error('the browser suite is not started: use it inside tests and hooks');
    return suite;
  };
  return {
    ...useTestPages(() => started().browser),
    get passgate() {
      return started().passgate;
    },
    get rp() {
      return started().rp;
    },
    get redirectUri() {
      return started().redirectUri;
    },
    get browser() {
      return started().browser;
    },
    close: () => started().close(),
  };
}

/** An authorization request in flight: its URL, and how to redeem the code it comes back with. */
export interface PendingLogin {
  url: string;
  /** Waits for the browser to be back at the relying party, then redeems the code (openid-client). */
  finish(page: Page): Promise<Awaited<ReturnType<typeof client.authorizationCodeGrant>>>;
}

/** Builds an authorization-code request with PKCE, state and nonce, as a relying party does. */
export async function authorizationRequest(
  suite: BrowserSuite,
  extra: Record<string, string> = {},
): Promise<PendingLogin> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(suite.rp, {
    redirect_uri: suite.redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return {
    url: url.toString(),
    finish: async (page) => {
      await page.waitForURL((u) => u.toString().startsWith(suite.redirectUri));
      return client.authorizationCodeGrant(suite.rp, new URL(page.url()), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
    },
  };
}

/** A message the outbox gateway wrote (SMS, voice call or e-mail). */
export interface OutboxMessage {
  channel: string;
  to: string;
  /** The passcode itself (the outbox keeps the whole message: that is its purpose). */
  code: string;
  text: string;
  spoken?: string;
}

/** The messages in the server's outbox, oldest first. */
export function outbox(passgate: TestServer): OutboxMessage[] {
  const folder = path.join(passgate.dataDir, 'outbox');
  let files: string[];
  try {
    files = readdirSync(folder).sort();
  } catch {
    return [];
  }
  return files.map((f) => JSON.parse(readFileSync(path.join(folder, f), 'utf8')) as OutboxMessage);
}

/** The latest message sent on a channel (fails the test when there is none). */
export function lastMessage(passgate: TestServer, channel: 'sms' | 'voice' | 'email'): OutboxMessage {
  const message = outbox(passgate)
    .filter((m) => m.channel === channel)
    .at(-1);
  if (!message) throw new Error(`no ${channel} message in the outbox`);
  return message;
}

/**
 * Signs users in at /admin through the hosted login (password, then the TOTP code of their
 * token's `secrets[user]`, fresh for each sign-in: see {@link totpCodes}), ending on /admin.
 */
export function adminSignIn(
  suite: { passgate: Pick<TestServer, 'url'> },
  secrets: Readonly<Record<string, Uint8Array>>,
  password: string,
): (page: Page, user: string) => Promise<void> {
  const codeOf = totpCodes();
  return async (page, user) => {
    await page.goto(`${suite.passgate.url}/admin`);
    await page.waitForURL(/\/login\/adm-[\w-]+$/);
    await page.fill('#username', user);
    await page.fill('#password', password);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', await codeOf(secrets[user]!));
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/admin$/);
  };
}
