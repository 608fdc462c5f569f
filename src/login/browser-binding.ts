import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../clock.js';
import { hashSecret as hashOf } from '../crypto/secret-hash.js';
import type { LoginFlowsRepository } from '../store/repositories/login-flows.js';

/** The path of a sign-in's pages (`/login/<uid>`), and of the cookie that binds it. */
export const loginPath = (uid: string) => `/login/${uid}`;

/** How a door binds its sign-ins. */
export interface BrowserBindingOptions {
  /** The door whose sign-ins these are (saml, selfservice ...): it sees no other door's. */
  door: string;
  /** The cookie's name, one per door. */
  cookie: string;
  /** Put before every uid of the door (`ss-` for self-service), to tell its pages apart in logs. */
  uidPrefix?: string;
  /** How long a sign-in may take, from its start to its end. */
  lifetimeMs: number;
  flows: LoginFlowsRepository;
  clock: Clock;
  /** Cookies go out with Secure (the public URL is https). */
  secureCookies: boolean;
}

/** A sign-in in progress this browser started: its uid and what the door keeps about it. */
export interface BoundFlow<S> {
  uid: string;
  state: S;
  createdAt: number;
  expiresAt: number;
}

/** Longest cookie value taken as a secret (ours are 43 characters); longer ones are not hashed. */
const MAX_SECRET_LENGTH = 100;

/**
 * Binds a door's sign-ins in progress to the browser that started them, the one mechanism of
 * every door that keeps its own flows (OIDC's are oidc-provider's, bound by its own cookie): the
 * flow and the door's state live server-side, the browser holds a random secret in an HttpOnly
 * cookie scoped to the flow's pages, and the store holds only that secret's hash. A uid alone (a
 * URL, a log, a Referer) lets no other browser go on; a flow ends once, for every copy of the
 * cookie; nothing of the state reaches the browser; master-key rotation does not touch it.
 */
export class BrowserBinding<S extends object> {
  constructor(private readonly options: BrowserBindingOptions) {}

  /** Stores a new sign-in with the door's `state`, binds it to this browser; its uid. */
  async start(res: Response, state: S): Promise<string> {
    const { door, lifetimeMs, flows, clock } = this.options;
    const uid = `${this.options.uidPrefix ?? ''}${randomBytes(16).toString('base64url')}`;
    const secret = randomBytes(32).toString('base64url');
    const now = clock();
    await flows.create({
      uid,
      door,
      state: JSON.stringify(state),
      secret_hash: hashOf(secret),
      created_at: now,
      expires_at: now + lifetimeMs,
      completed_at: null,
    });
    res.cookie(this.options.cookie, secret, {
      httpOnly: true,
      // Lax, not Strict: a door's flow may start from a cross-site request (a SAML SP's POST to
      // /saml/sso), and the top-level GET of /login/<uid> that follows must carry the cookie.
      sameSite: 'lax',
      secure: this.options.secureCookies,
      path: loginPath(uid),
      maxAge: lifetimeMs,
    });
    return uid;
  }

  /**
   * The open sign-in `uid` when this browser holds its secret; undefined when it is unknown,
   * another door's, completed, expired, or the cookie is missing or wrong.
   */
  async load(req: Request, uid: string): Promise<BoundFlow<S> | undefined> {
    // Without this door's cookie nothing can match: no read for a request that names any uid.
    if (this.secretOf(req) === undefined) return undefined;
    const row = await this.options.flows.findOpen(this.options.door, uid, this.options.clock());
    if (!row || !this.holdsSecret(req, row.secret_hash)) return undefined;
    return {
      uid: row.uid,
      state: JSON.parse(row.state) as S,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /**
   * Ends the sign-in, once: false when it already ended (a second finish, a replayed cookie) or
   * expired. The winner's browser drops its cookie.
   */
  async complete(res: Response, uid: string): Promise<boolean> {
    const { door, flows, clock } = this.options;
    if (!(await flows.complete(door, uid, clock()))) return false;
    res.clearCookie(this.options.cookie, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.options.secureCookies,
      path: loginPath(uid),
    });
    return true;
  }

  /** Deletes this door's sign-ins that have expired, ended ones included (the door's clean-up job). */
  prune(now: number): Promise<number> {
    return this.options.flows.prune(this.options.door, now);
  }

  /** Whether the request carries the secret whose hash is `secretHash` (compared in constant time). */
  /** This door's cookie when it holds a usable secret. */
  private secretOf(req: Request): string | undefined {
    const secret = (req.cookies as Record<string, unknown> | undefined)?.[this.options.cookie];
    return typeof secret === 'string' && secret.length > 0 && secret.length <= MAX_SECRET_LENGTH
      ? secret
      : undefined;
  }

  private holdsSecret(req: Request, secretHash: string): boolean {
    const secret = this.secretOf(req);
    if (secret === undefined) return false;
    const given = Buffer.from(hashOf(secret), 'hex');
    const expected = Buffer.from(secretHash, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
