import { expect } from 'vitest';
import { type Browser, type Exchange, formField } from '../support/browser.js';
import { lastMessage } from '../support/browser-login.js';
import type { TestServer } from '../support/server.js';

/** Gives users a reset seat (the licences' store, as `passgate licence` would). */
export async function giveResetSeat(passgate: TestServer, ...userIds: string[]): Promise<void> {
  await passgate.core.repositories.seats.allocate({
    userIds,
    pool: 'reset',
    by: 'test',
    via: 'hand',
    now: Date.now(),
    capacity: null,
    mode: 'all-or-nothing',
  });
}

/** Posts the user-name step of a site; the answer (a redirect to the second factor, or the neutral page) and its duration. */
export async function identify(
  browser: Browser,
  siteUrl: string,
  username: string,
  headers: Record<string, string> = {},
): Promise<{ answer: Exchange; ms: number }> {
  const page = await browser.fetch(siteUrl, { headers });
  expect(page.status).toBe(200);
  const began = performance.now();
  const answer = await browser.fetch(siteUrl, {
    form: { _csrf: formField(page.body, '_csrf') ?? '', username },
    headers,
  });
  return { answer, ms: performance.now() - began };
}

/**
 * Runs a journey up to the verified page: the user name, then the SMS passcode from the
 * server's outbox on the hosted login. Returns the verified page.
 */
export async function verify(
  passgate: TestServer,
  browser: Browser,
  siteUrl: string,
  username: string,
  headers: Record<string, string> = {},
): Promise<Exchange> {
  const { answer } = await identify(browser, siteUrl, username, headers);
  expect(answer.status, answer.body.slice(0, 300)).toBe(303);
  const login = new URL(answer.headers.get('location')!, siteUrl).toString();
  expect(login).toMatch(/\/login\/rs-/);
  const toMfa = await browser.fetch(login);
  expect(toMfa.status, toMfa.body.slice(0, 300)).toBe(303);
  const mfaUrl = new URL(toMfa.headers.get('location')!, login).toString();
  const mfa = await browser.fetch(mfaUrl);
  expect(mfa.body).toContain('name="code"');
  const done = await browser.fetch(mfaUrl, {
    form: {
      _csrf: formField(mfa.body, '_csrf') ?? '',
      action: 'verify',
      code: lastMessage(passgate, 'sms').code,
    },
  });
  expect(done.status, done.body.slice(0, 300)).toBe(303);
  const verified = new URL(done.headers.get('location')!, mfaUrl).toString();
  const page = await browser.fetch(verified, { headers });
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return page;
}

/** Posts one of the verified page's forms (`/password` or `/unlock`). */
export function post(
  browser: Browser,
  siteUrl: string,
  verified: Exchange,
  action: 'password' | 'unlock',
  form: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Exchange> {
  return browser.fetch(`${siteUrl}/${action}`, {
    form: { _csrf: formField(verified.body, '_csrf') ?? '', ...form },
    headers,
  });
}
