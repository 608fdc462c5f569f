import * as client from 'openid-client';
import { Browser, signIn } from './browser.js';
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
  const redirectUri = options.redirectUri ?? TEST_CLIENT.redirect_uris[0]!;
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid profile email groups offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.extra,
  });
  const browser = options.browser ?? new Browser();
  const { callback, page } = await signIn(browser, url.toString(), username, password, redirectUri);
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
