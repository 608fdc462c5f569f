import * as client from 'openid-client';
import { Browser, type Exchange, formAction, formField } from './browser.js';
import { pkceRequest } from './relying-party.js';
import { TEST_CLIENT } from './server.js';

/** How one sign-in of a load ended, as the user and the application saw it. */
export type SignInOutcome = {
  user: string;
  startedAt: number;
  endedAt: number;
} & (
  | { kind: 'success'; accessToken: string }
  /** A clean refusal: 503 with the "temporarily unavailable" page, or the OAuth error temporarily_unavailable. */
  | { kind: 'unavailable'; step: string }
  /** Anything else: a 500, a stack trace, a refused connection, an unexpected page. */
  | { kind: 'broken'; step: string; detail: string }
);

type Ending = { kind: 'unavailable'; step: string } | { kind: 'broken'; step: string; detail: string };

/** The English text of Passgate's "temporarily unavailable" answer (the default language). */
const UNAVAILABLE_TEXT = 'Sign-in is temporarily unavailable';

/**
 * One OIDC authorization-code sign-in with PKCE through the hosted login page, as a browser and
 * a relying party make it, classified at the first step that does not go on.
 */
export async function signInOnce(
  config: client.Configuration,
  user: string,
  password: string,
): Promise<SignInOutcome> {
  const startedAt = Date.now();
  const ended = (ending: Ending | { kind: 'success'; accessToken: string }): SignInOutcome => ({
    user,
    startedAt,
    endedAt: Date.now(),
    ...ending,
  });
  const redirectUri = TEST_CLIENT.redirect_uris[0]!;
  const isCallback = (location: string) => location.startsWith(redirectUri);
  const { url, verifier, state } = await pkceRequest(config, { redirectUri });
  // What a browser asks for: pages in HTML (oidc-provider answers JSON to a client that names no type).
  const browser = new Browser({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
  let step = 'authorization';
  try {
    const opened = await browser.follow(url, {}, isCallback);
    if (opened.location) return ended(callbackError(step, opened.location));
    if (opened.last.status !== 200 || !opened.last.body.includes('name="password"'))
      return ended(pageEnding(step, opened.last));
    step = 'password';
    const posted = await browser.follow(
      formAction(opened.last.body, opened.last.url),
      { form: { _csrf: formField(opened.last.body, '_csrf') ?? '', username: user, password } },
      isCallback,
    );
    if (!posted.location) return ended(pageEnding(step, posted.last));
    const callback = new URL(posted.location);
    if (!callback.searchParams.has('code')) return ended(callbackError(step, posted.location));
    step = 'token';
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    return ended({ kind: 'success', accessToken: tokens.access_token });
  } catch (error) {
    return ended(thrownEnding(step, await oauthErrorOf(error)));
  }
}

/** An OAuth error answer as the relying party got it: status and JSON body, whatever the status. */
export interface OAuthErrorAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The answer behind an openid-client error: a 4xx OAuth error is parsed by the library, a 5xx
 * one (temporarily_unavailable) is left in the response it carries; anything else is returned as is.
 */
export async function oauthErrorOf(error: unknown): Promise<OAuthErrorAnswer | unknown> {
  if (error instanceof client.ResponseBodyError)
    return { status: error.status, body: error.cause as Record<string, unknown> };
  const response = (error as { cause?: unknown }).cause;
  if (!(response instanceof Response)) return error;
  const text = await response.text().catch(() => '');
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { text: text.slice(0, 300) } };
  }
}

/** An answer that is not the next step of a sign-in: clean only if it is the 503 page. */
function pageEnding(step: string, page: Exchange): Ending {
  const clean =
    page.status === 503 &&
    page.headers.get('content-type')?.startsWith('text/html') &&
    page.body.includes(UNAVAILABLE_TEXT) &&
    !hasStackTrace(page.body);
  return clean
    ? { kind: 'unavailable', step }
    : { kind: 'broken', step, detail: `${page.status} ${page.url}: ${page.body.slice(0, 300)}` };
}

/** A redirect back to the application with an error instead of a code (RFC 6749 §4.1.2.1). */
function callbackError(step: string, location: string): Ending {
  const error = new URL(location).searchParams.get('error');
  return error === 'temporarily_unavailable'
    ? { kind: 'unavailable', step }
    : { kind: 'broken', step, detail: `back to the application with ${location}` };
}

/** A failed request (refused connection) or an OAuth error of the token endpoint. */
function thrownEnding(step: string, error: OAuthErrorAnswer | unknown): Ending {
  if (isAnswer(error)) {
    const body = JSON.stringify(error.body);
    return error.status === 503 && error.body.error === 'temporarily_unavailable' && !hasStackTrace(body)
      ? { kind: 'unavailable', step }
      : { kind: 'broken', step, detail: `${error.status} ${body.slice(0, 300)}` };
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return { kind: 'broken', step, detail: `${String(error)}${cause ? ` (${cause})` : ''}` };
}

function isAnswer(value: unknown): value is OAuthErrorAnswer {
  return typeof (value as OAuthErrorAnswer | undefined)?.status === 'number' && 'body' in (value as object);
}

function hasStackTrace(text: string): boolean {
  return /\bat [^\n]+:\d+:\d+/.test(text) || /node_modules|\/src\//.test(text);
}

/** Options of {@link startSignInLoad}. */
export interface SignInLoadOptions {
  config: client.Configuration;
  /** One worker per user, each signing in again and again. */
  users: string[];
  password: string;
  /** Upper bound of sign-ins per worker, whatever happens. */
  maxPerWorker: number;
  /** Pause after a failed sign-in before the next one (a user trying again). */
  pauseAfterFailureMs: number;
}

/** A running load of sign-ins, recording every outcome. */
export interface SignInLoad {
  readonly outcomes: SignInOutcome[];
  /** Lets each worker finish its current sign-in, then resolves. */
  stop(): Promise<void>;
}

/** Starts concurrent sign-ins (one worker per user) on loopback, bounded in count. */
export function startSignInLoad(options: SignInLoadOptions): SignInLoad {
  const outcomes: SignInOutcome[] = [];
  let stopped = false;
  const workers = options.users.map(async (user) => {
    for (let i = 0; i < options.maxPerWorker && !stopped; i++) {
      const outcome = await signInOnce(options.config, user, options.password);
      outcomes.push(outcome);
      if (outcome.kind !== 'success') await new Promise((r) => setTimeout(r, options.pauseAfterFailureMs));
    }
  });
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

/** Counts of a list of outcomes by kind. */
export function tally(outcomes: SignInOutcome[]): Record<SignInOutcome['kind'], number> {
  const counts = { success: 0, unavailable: 0, broken: 0 };
  for (const outcome of outcomes) counts[outcome.kind]++;
  return counts;
}
