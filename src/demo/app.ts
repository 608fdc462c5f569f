import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as client from 'openid-client';
import { xmlEscape as escapeHtml } from '../monitoring/svg.js';

/** Settings of the demo application (`npm run demo`), a public OIDC client of Passgate. */
export interface DemoOptions {
  /** Passgate's issuer URL, e.g. http://localhost:3000. */
  issuer: string;
  /** TCP port to listen on (0 picks a free one). */
  port: number;
  /** Registered client id (metadata/oidc/demo.yaml). */
  clientId: string;
  /** Registered redirect URI; its path is served as the callback. */
  redirectUri: string;
  /** Where Passgate sends the browser after sign-out. Default: `/` next to the redirect URI. */
  postLogoutRedirectUri?: string;
  /** Address to listen on. Default: 127.0.0.1 (the demo is for this machine only). */
  host?: string;
}

/** A running demo application. */
export interface RunningDemo {
  /** Base URL of the demo's home page. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Raised when Passgate's discovery document cannot be fetched, with the reason. */
export class IssuerUnreachableError extends Error {
  override readonly name = 'IssuerUnreachableError';
}

/** Cookie naming the pending sign-in of this browser in the in-memory store. */
const TX_COOKIE = 'passgate_demo_tx';
/** A sign-in must come back from Passgate within this time. */
const TX_TTL_MS = 10 * 60 * 1000;
/** Cap on pending sign-ins kept in memory, so that a flood of /login requests cannot grow it. */
const TX_MAX = 10_000;
/** Cookie naming this browser's signed-in session in the in-memory store. */
const SESSION_COOKIE = 'passgate_demo_session';
/** How long the demo remembers a sign-in (its claims page can be reloaded meanwhile). */
const SESSION_TTL_MS = 60 * 60 * 1000;
/** The ID-token claims the demo shows. */
const SHOWN_CLAIMS = ['sub', 'name', 'email', 'groups', 'amr'] as const;

interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
  expires: number;
}

/** A completed sign-in: what the claims page shows, and the ID token that ends the Passgate session. */
interface DemoSession {
  claims: Record<string, unknown>;
  idToken: string;
  expires: number;
}

/** Entries of one browser cookie each, bounded in number and in time, held in memory. */
class ExpiringStore<T extends { expires: number }> {
  private readonly entries = new Map<string, T>();

  /** Stores an entry under a new random id (dropping expired ones, and the oldest when full). */
  add(entry: T): string {
    const now = Date.now();
    for (const [id, value] of this.entries) if (value.expires <= now) this.entries.delete(id);
    if (this.entries.size >= TX_MAX) this.entries.delete(this.entries.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.entries.set(id, entry);
    return id;
  }

  /** The live entry of this id, if any. */
  get(id: string | undefined): T | undefined {
    const entry = id ? this.entries.get(id) : undefined;
    return entry && entry.expires > Date.now() ? entry : undefined;
  }

  delete(id: string | undefined): void {
    if (id) this.entries.delete(id);
  }
}

/**
 * Whether openid-client must be allowed plain http: the demo talks to Passgate however Passgate
 * is reached, a VM or LAN address included, for it is a tool for trying Passgate out (Passgate in
 * production refuses a plain-http public URL to another machine).
 */
export function allowsInsecureRequests(issuer: URL): boolean {
  return issuer.protocol === 'http:';
}

/**
 * Starts the demo relying party: discovers Passgate (failing with {@link IssuerUnreachableError}
 * when it cannot), then serves the home page, the sign-in redirect and the callback.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const issuer = new URL(options.issuer);
  let config: client.Configuration;
  try {
    config = await client.discovery(
      issuer,
      options.clientId,
      undefined,
      client.None(),
      allowsInsecureRequests(issuer) ? { execute: [client.allowInsecureRequests] } : undefined,
    );
  } catch (error) {
    throw new IssuerUnreachableError(`cannot reach Passgate at ${issuer.origin}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  const app = createDemoApp(config, options);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL('/', options.redirectUri).toString(),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The demo's pages, for a discovered Passgate. */
export function createDemoApp(config: client.Configuration, options: DemoOptions): express.Express {
  const redirectUri = new URL(options.redirectUri);
  const postLogoutRedirectUri = options.postLogoutRedirectUri ?? new URL('/', redirectUri).toString();
  const pending = new ExpiringStore<PendingLogin>();
  const sessions = new ExpiringStore<DemoSession>();
  const app = express();
  app.disable('x-powered-by');
  app.use(cookieParser());
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    next();
  });

  app.get('/', (_req, res) => {
    res.type('html').send(page('Passgate demo', '<p><a href="/login">Sign in with Passgate</a></p>'));
  });

  app.get('/login', async (_req, res) => {
    const login: PendingLogin = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
      expires: Date.now() + TX_TTL_MS,
    };
    const id = pending.add(login);
    res.cookie(TX_COOKIE, id, { httpOnly: true, sameSite: 'lax', maxAge: TX_TTL_MS, path: '/' });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri.toString(),
      scope: 'openid profile email groups',
      code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    res.redirect(url.toString());
  });

  app.get(redirectUri.pathname, async (req, res) => {
    const id = req.cookies?.[TX_COOKIE] as string | undefined;
    const login = pending.get(id);
    pending.delete(id);
    res.clearCookie(TX_COOKIE, { path: '/' });
    if (!login) {
      res
        .status(400)
        .type('html')
        .send(page('Sign-in expired', '<p>No sign-in is in progress in this browser.</p>', true));
      return;
    }
    // The URL Passgate redirected to, rebuilt from the registered address rather than the Host header.
    const currentUrl = new URL(redirectUri);
    currentUrl.search = new URL(req.originalUrl, redirectUri).search;
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    // The code is spent: keep the result in the demo's own session and show it on a page that a
    // reload does not send back through the callback.
    const session = sessions.add({
      claims: tokens.claims() ?? {},
      idToken: tokens.id_token!,
      expires: Date.now() + SESSION_TTL_MS,
    });
    res.cookie(SESSION_COOKIE, session, {
      httpOnly: true,
      sameSite: 'lax',
      maxAge: SESSION_TTL_MS,
      path: '/',
    });
    res.redirect(303, '/claims');
  });

  app.get('/claims', (req, res) => {
    const session = sessions.get(req.cookies?.[SESSION_COOKIE] as string | undefined);
    if (!session) {
      res
        .status(401)
        .type('html')
        .send(page('Not signed in', '<p>This browser is not signed in to the demo.</p>', true));
      return;
    }
    const rows = SHOWN_CLAIMS.map(
      (name) => `<tr><th>${name}</th><td>${escapeHtml(formatClaim(session.claims[name]))}</td></tr>`,
    ).join('');
    res.type('html').send(page('Signed in', `<table>${rows}</table><p><a href="/logout">Sign out</a></p>`));
  });

  app.get('/logout', (req, res) => {
    const id = req.cookies?.[SESSION_COOKIE] as string | undefined;
    const session = sessions.get(id);
    sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    if (!session) return res.redirect(303, '/');
    // Out of the demo; then out of Passgate, which comes back to the home page.
    const signOut = client.buildEndSessionUrl(config, {
      id_token_hint: session.idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
    });
    res.redirect(303, signOut.toString());
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // A rejected response (denied, wrong state, invalid code) is a 400; Passgate not answering, a 502.
    const rejected =
      error instanceof client.ClientError ||
      error instanceof client.AuthorizationResponseError ||
      error instanceof client.ResponseBodyError;
    res
      .status(rejected ? 400 : 502)
      .type('html')
      .send(page('Sign-in failed', `<p>${escapeHtml(reasonOf(error))}</p>`, true));
  });
  return app;
}

function page(title: string, body: string, offerRetry = false): string {
  const retry = offerRetry ? '<p><a href="/login">Sign in with Passgate</a></p>' : '';
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:3rem auto;max-width:40rem}',
    'th,td{text-align:left;padding:.3rem .8rem;border-bottom:1px solid #ddd}</style>',
    `</head><body><h1>${escapeHtml(title)}</h1>${body}${retry}</body></html>`,
  ].join('');
}

function formatClaim(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const described = error as Error & { error?: string; error_description?: string; cause?: unknown };
  if (described.error)
    return `${described.error}${described.error_description ? `: ${described.error_description}` : ''}`;
  const cause = described.cause instanceof Error ? `: ${described.cause.message}` : '';
  return `${error.message}${cause}`;
}
