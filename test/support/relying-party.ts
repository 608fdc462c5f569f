import * as client from 'openid-client';
import { Browser, type Exchange, formAction, formField, signIn } from './browser.js';
import { TEST_CLIENT } from './server.js';

/** openid-client configured against a test server, over plain http on loopback. */
export async function discover(
  issuer: string,
  clientId = TEST_CLIENT.client_id,
  secret: string | undefined = TEST_CLIENT.client_secret,
  metadata: Partial<client.ClientMetadata> = {},
): Promise<client.Configuration> {
  return client.discovery(
    new URL(issuer),
    clientId,
    metadata,
    secret ? client.ClientSecretBasic(secret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
}

/** An authorization-code request with PKCE and state, as a relying party builds it. */
export interface PkceRequest {
  /** Where the browser goes (the authorization endpoint with every parameter). */
  url: string;
  redirectUri: string;
  /** What redeeming the code needs. */
  verifier: string;
  state: string;
  nonce?: string;
}

/** Builds a PKCE (S256) authorization request with state, and a nonce when asked. */
export async function pkceRequest(
  config: client.Configuration,
  options: { redirectUri?: string; scope?: string; nonce?: boolean; extra?: Record<string, string> } = {},
): Promise<PkceRequest> {
  const redirectUri = options.redirectUri ?? TEST_CLIENT.redirect_uris[0]!;
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = options.nonce ? client.randomNonce() : undefined;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(nonce ? { nonce } : {}),
    ...options.extra,
  });
  return { url: url.toString(), redirectUri, verifier, state, ...(nonce ? { nonce } : {}) };
}

/** Result of a full authorization-code login. */
export interface LoginResult {
  tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  browser: Browser;
  callback: URL;
  /** The PKCE verifier the code was redeemed with. */
  verifier: string;
}

/**
 * A complete authorization-code login with PKCE through the hosted login page, ending with the
 * token exchange and ID-token validation done by openid-client.
 */
export async function loginWithCode(
  config: client.Configuration,
  username: string,
  password: string,
  options: { redirectUri?: string; scope?: string; extra?: Record<string, string>; browser?: Browser } = {},
): Promise<LoginResult> {
  const { url, redirectUri, verifier, state, nonce } = await pkceRequest(config, {
    scope: options.scope ?? 'openid profile email groups offline_access',
    nonce: true,
    ...(options.redirectUri ? { redirectUri: options.redirectUri } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
  });
  const browser = options.browser ?? new Browser();
  const { callback, page } = await signIn(browser, url, username, password, redirectUri);
  if (!callback)
    throw new Error(
      `login did not return to the application (status ${page.status}): ${page.body.slice(0, 500)}`,
    );
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  return { tokens, browser, callback, verifier };
}

/** The PKCE challenge of a fixed verifier, for requests whose code is never redeemed. */
const FIXED_CODE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/**
 * The authorization URL of the test client at `base` (`/oidc/auth`, code flow with a fixed PKCE
 * challenge), so that a test can open the hosted login without a discovered openid-client.
 */
export function authorizationUrl(base: string, params: Record<string, string> = {}): string {
  const url = new URL(`${base}/oidc/auth`);
  const query = {
    client_id: TEST_CLIENT.client_id,
    redirect_uri: TEST_CLIENT.redirect_uris[0]!,
    response_type: 'code',
    scope: 'openid',
    code_challenge: FIXED_CODE_CHALLENGE,
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Where a password sign-in stopped: the page after the password (a second factor), or the callback. */
export interface PasswordStep {
  browser: Browser;
  /** The PKCE verifier to redeem the code with, once there is one. */
  verifier: string;
  page: Exchange;
  /** The redirect back to the application, when the password alone was enough. */
  callback?: string;
}

/**
 * An application's sign-in up to the password: a PKCE authorization request, the hosted login
 * form posted, and the redirects followed to the next page or back to the test client, so that
 * tests of the second factor start where the password ends.
 */
export async function signInWithPassword(
  config: client.Configuration,
  username: string,
  password: string,
  options: { scope?: string; browser?: Browser } = {},
): Promise<PasswordStep> {
  const redirectUri = TEST_CLIENT.redirect_uris[0]!;
  const browser = options.browser ?? new Browser();
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const login = (await browser.follow(url.toString())).last;
  const posted = await browser.follow(
    formAction(login.body, login.url),
    { form: { _csrf: formField(login.body, '_csrf')!, username, password } },
    (location) => location.startsWith(redirectUri),
  );
  return { browser, verifier, page: posted.last, ...(posted.location ? { callback: posted.location } : {}) };
}
