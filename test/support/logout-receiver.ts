import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

/** What an OIDC client's logout endpoints received. */
export interface ReceivedLogout {
  /** Logout Tokens posted to the back-channel URI, oldest first. */
  tokens: string[];
  /** Query strings of front-channel URI loads, oldest first. */
  frontChannel: URLSearchParams[];
}

/**
 * An OIDC client's logout endpoints on loopback, as a relying party serves them:
 * `/backchannel` takes a posted `logout_token` (200), `/hang` accepts and never answers (an
 * unreachable client), `/frontchannel` answers the page a logout frame loads, `/callback` is
 * where its sign-ins come back to (browser tests).
 */
export class LogoutReceiver {
  readonly received: ReceivedLogout = { tokens: [], frontChannel: [] };
  private server!: Server;
  private readonly hanging = new Set<ServerResponse>();
  private waiters: Array<() => void> = [];
  url = '';

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/hang') {
      this.hanging.add(res);
      return;
    }
    if (url.pathname === '/callback') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          '<!doctype html><html lang="en"><title>OIDC application</title><h1>Back at the OIDC application</h1></html>',
        );
      return;
    }
    if (url.pathname === '/frontchannel') {
      this.received.frontChannel.push(url.searchParams);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>signed out</title>');
      this.notify();
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const token = new URLSearchParams(body).get('logout_token');
    if (req.method !== 'POST' || url.pathname !== '/backchannel' || !token) {
      res.writeHead(400).end();
      return;
    }
    this.received.tokens.push(token);
    res.writeHead(200, { 'cache-control': 'no-store' }).end();
    this.notify();
  }

  private notify() {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `count` Logout Tokens arrived in all (fails after `timeoutMs`). */
  async tokens(count: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.tokens.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.received.tokens.length} of ${count} logout tokens arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.tokens.slice(0, count);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Verifies a Logout Token as a relying party must (Back-Channel Logout 1.0, section 2.6): the
 * signature with the issuer's published JWKS, iss, aud, iat, the `logout+jwt` type, the event,
 * no nonce, and a sub or a sid. The verified claims.
 */
export async function verifyLogoutToken(
  token: string,
  issuer: string,
  clientId: string,
): Promise<JWTPayload & { sid?: string; events: Record<string, unknown> }> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
  };
  const { payload, protectedHeader } = await jwtVerify(
    token,
    createRemoteJWKSet(new URL(discovery.jwks_uri)),
    {
      issuer,
      audience: clientId,
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'jti', 'events'],
    },
  );
  if (protectedHeader.typ !== 'logout+jwt') throw new Error('not a logout token');
  const events = payload.events as Record<string, unknown> | undefined;
  if (!events || typeof events['http://schemas.openid.net/event/backchannel-logout'] !== 'object')
    throw new Error('no back-channel logout event');
  if ('nonce' in payload) throw new Error('a logout token carries no nonce');
  if (!payload.sub && !payload.sid) throw new Error('neither sub nor sid');
  return payload as JWTPayload & { sid?: string; events: Record<string, unknown> };
}
