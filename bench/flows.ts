import { createHash, createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';
import { basicAuthorization, CookieJar, formAction, formField, type Reply, send } from './http.js';

/** The confidential client the bench registers in the server's metadata folder. */
export const BENCH_CLIENT = {
  client_id: 'bench-app',
  client_secret: 'bench-app-secret-0123456789abcdef',
  client_name: 'Benchmark Application',
  redirect_uris: ['http://127.0.0.1:9999/callback'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid offline_access profile email groups',
};

/** A failure of one operation, classified by the step where it happened (for the error table). */
export class FlowError extends Error {
  constructor(
    readonly step: string,
    readonly kind: string,
    detail: string,
  ) {
    super(`${step}: ${kind}: ${detail}`);
  }

  /** Key under which failures are counted: step and kind, no per-request detail. */
  get key(): string {
    return `${this.step}: ${this.kind}`;
  }
}

/** Where the server is and how the relying party authenticates to it. */
export interface Target {
  baseUrl: string;
  /** The relying party's client id (the ID token's audience). */
  clientId: string;
  issuer: string;
  tokenUrl: string;
  authorization: string;
  keys: Map<string, KeyObject>;
}

/** Discovery and JWKS of a running server, fetched once; `client` is the relying party the bench plays. */
export async function discoverTarget(
  baseUrl: string,
  client: { client_id: string; client_secret: string } = BENCH_CLIENT,
): Promise<Target> {
  const discovery = await send(`${baseUrl}/.well-known/openid-configuration`);
  if (discovery.status !== 200) throw new Error(`discovery answered HTTP ${discovery.status}`);
  const metadata = JSON.parse(discovery.body) as { issuer: string; token_endpoint: string; jwks_uri: string };
  const jwks = JSON.parse((await send(metadata.jwks_uri)).body) as { keys: Array<{ kid: string }> };
  return {
    baseUrl,
    clientId: client.client_id,
    issuer: metadata.issuer,
    tokenUrl: metadata.token_endpoint,
    authorization: basicAuthorization(client.client_id, client.client_secret),
    keys: new Map(jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })])),
  };
}

/** Token endpoint response fields the bench looks at. */
export interface Tokens {
  access_token: string;
  token_type: string;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
}

/** Per-step durations of one login, in milliseconds. */
export type StepTimes = Record<string, number>;

/** Names of the login steps, in order (secondFactor only when the user has one). */
export const LOGIN_STEPS = [
  'authorize',
  'loginPage',
  'loginPost',
  'secondFactor',
  'resume',
  'token',
] as const;

/** How a login differs from the default one (which also asks for a refresh token). */
export interface LoginOptions {
  /** Requested scope; a refresh token is required only when it includes offline_access. */
  scope?: string;
  /** The user's next one-time code, for the second-factor page the password step must lead to. */
  nextCode?: () => string;
  /** Headers of every request to the hosted pages (the flood scenario's X-Forwarded-For). */
  headers?: Record<string, string>;
}

const DEFAULT_SCOPE = 'openid profile email groups offline_access';

/**
 * One complete authorization-code login with PKCE through the hosted login page, as a fresh
 * browser (new cookie jar) would do it, with the second-factor page when `options.nextCode` is
 * given, ending with the token exchange. It throws a FlowError unless every step answers as a
 * successful login must and the ID token is valid (signature, issuer, audience, nonce).
 */
export async function login(
  target: Target,
  username: string,
  password: string,
  steps: StepTimes = {},
  options: LoginOptions = {},
): Promise<Tokens> {
  const scope = options.scope ?? DEFAULT_SCOPE;
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const redirectUri = BENCH_CLIENT.redirect_uris[0]!;
  const query = new URLSearchParams({
    client_id: BENCH_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let mark = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    steps[step] = now - mark;
    mark = now;
  };

  const headers = options.headers;
  const authorize = await send(`${target.baseUrl}/oidc/auth?${query}`, { jar, headers });
  const loginUrl = expectRedirect('authorize', authorize, target.baseUrl, (u) =>
    u.pathname.startsWith('/login/'),
  );
  lap('authorize');

  const page = await send(loginUrl, { jar, headers });
  if (page.status !== 200 || !page.body.includes('name="password"'))
    throw fail('loginPage', page, 'expected the login form');
  const csrf = formField(page.body, '_csrf');
  const action = formAction(page.body, loginUrl);
  if (!csrf || !action) throw new FlowError('loginPage', 'no form', 'no _csrf field or form action');
  lap('loginPage');

  const posted = await send(action, { jar, headers, form: { _csrf: csrf, username, password } });
  const afterPassword = expectRedirect('loginPost', posted, target.baseUrl, (u) =>
    options.nextCode ? u.pathname.endsWith('/mfa') : u.pathname.startsWith('/oidc/auth/'),
  );
  lap('loginPost');
  const resumeUrl = options.nextCode
    ? await secondFactor(target, jar, afterPassword, options.nextCode(), headers)
    : afterPassword;
  if (options.nextCode) lap('secondFactor');

  const resumed = await send(resumeUrl, { jar, headers });
  const callback = new URL(
    expectRedirect('resume', resumed, target.baseUrl, (u) => u.href.startsWith(redirectUri)),
  );
  const code = callback.searchParams.get('code');
  if (!code) throw new FlowError('resume', 'no code', callback.search.slice(0, 200));
  if (callback.searchParams.get('state') !== state) throw new FlowError('resume', 'state mismatch', '');
  if (callback.searchParams.get('iss') !== target.issuer) throw new FlowError('resume', 'iss mismatch', '');
  lap('resume');

  const tokens = await tokenRequest(
    target,
    { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
    'token',
  );
  if (!tokens.id_token) throw new FlowError('token', 'no id_token', 'token response without id_token');
  checkIdToken(target, tokens.id_token, nonce);
  if (scope.split(' ').includes('offline_access') && !tokens.refresh_token)
    throw new FlowError(
      'token',
      'no refresh_token',
      `the client may use the refresh grant and offline_access was asked; granted scope "${tokens.scope ?? ''}", fields ${Object.keys(tokens).join(', ')}`,
    );
  lap('token');
  return tokens;
}

/** The second-factor page: the code typed and posted; returns where the login resumes. */
async function secondFactor(
  target: Target,
  jar: CookieJar,
  pageUrl: string,
  code: string,
  headers?: Record<string, string>,
): Promise<string> {
  const page = await send(pageUrl, { jar, headers });
  if (page.status !== 200 || !page.body.includes('name="code"'))
    throw fail('secondFactor', page, 'expected the one-time code form');
  const csrf = formField(page.body, '_csrf');
  const action = formAction(page.body, pageUrl);
  if (!csrf || !action) throw new FlowError('secondFactor', 'no form', 'no _csrf field or form action');
  const posted = await send(action, { jar, headers, form: { _csrf: csrf, code } });
  return expectRedirect('secondFactor', posted, target.baseUrl, (u) => u.pathname.startsWith('/oidc/auth/'));
}

/** One client-credentials grant (client_secret_basic); throws unless a bearer token comes back. */
export async function clientCredentials(target: Target): Promise<Tokens> {
  return tokenRequest(target, { grant_type: 'client_credentials' }, 'token');
}

/**
 * One refresh grant; returns the new tokens. Refresh tokens rotate on every use, so a response
 * that does not carry a new refresh token is an error.
 */
export async function refresh(target: Target, refreshToken: string): Promise<Tokens> {
  const tokens = await tokenRequest(
    target,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    'refresh',
  );
  if (!tokens.refresh_token || tokens.refresh_token === refreshToken)
    throw new FlowError('refresh', 'not rotated', 'the refresh token did not rotate');
  return tokens;
}

/** A token request with client_secret_basic; throws unless a bearer access token comes back. */
export async function tokenRequest(
  target: Target,
  form: Record<string, string>,
  step: string,
): Promise<Tokens> {
  const reply = await send(target.tokenUrl, {
    form,
    headers: { authorization: target.authorization, accept: 'application/json' },
  });
  if (reply.status !== 200) throw fail(step, reply, 'token endpoint refused');
  let tokens: Tokens;
  try {
    tokens = JSON.parse(reply.body) as Tokens;
  } catch {
    throw new FlowError(step, 'not JSON', reply.body.slice(0, 200));
  }
  if (!tokens.access_token || tokens.token_type?.toLowerCase() !== 'bearer')
    throw new FlowError(step, 'no bearer access_token', reply.body.slice(0, 200));
  return tokens;
}

/**
 * Checks an ID token the way a relying party must: ES256/RS256 signature by a published key, iss,
 * aud, nonce, exp. Returns its claims.
 */
export function checkIdToken(target: Target, idToken: string, nonce: string): Record<string, unknown> {
  const [header64 = '', payload64 = '', signature64 = ''] = idToken.split('.');
  const header = JSON.parse(Buffer.from(header64, 'base64url').toString()) as { alg: string; kid: string };
  const key = target.keys.get(header.kid);
  if (!key) throw new FlowError('token', 'unknown kid', header.kid);
  const data = Buffer.from(`${header64}.${payload64}`);
  const signature = Buffer.from(signature64, 'base64url');
  const valid =
    header.alg === 'ES256'
      ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
      : header.alg === 'RS256' && verify('sha256', data, key, signature);
  if (!valid) throw new FlowError('token', 'bad id_token signature', header.alg);
  const claims = JSON.parse(Buffer.from(payload64, 'base64url').toString()) as Record<string, unknown>;
  // A single audience may be a string or a one-element array (OIDC Core 2).
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const problem =
    claims.iss !== target.issuer
      ? 'iss'
      : !audience.includes(target.clientId)
        ? 'aud'
        : claims.nonce !== nonce
          ? 'nonce'
          : typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()
            ? 'exp'
            : undefined;
  if (problem) throw new FlowError('token', `bad id_token ${problem}`, JSON.stringify(claims).slice(0, 200));
  return claims;
}

function expectRedirect(step: string, reply: Reply, base: string, accept: (url: URL) => boolean): string {
  const location = reply.headers.get('location');
  if (reply.status < 300 || reply.status >= 400 || !location) throw fail(step, reply, 'expected a redirect');
  const url = new URL(location, base);
  if (!accept(url)) throw new FlowError(step, 'unexpected redirect', url.pathname);
  return url.toString();
}

function fail(step: string, reply: Reply, expectation: string): FlowError {
  const text = reply.body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return new FlowError(step, `HTTP ${reply.status}`, `${expectation}; got: ${text.slice(0, 300)}`);
}
