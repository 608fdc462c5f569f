import type { Request, Response } from 'express';
import type { Session, Sessions } from '../engine/sessions.js';
import type { ReuseOutcome, ReuseRequest, SingleSignOn } from '../engine/single-sign-on.js';
import type { LoginContext } from '../policy/authentication/authentication-policy.js';
import type { User } from '../store/repositories/users.js';
import type { WriteBatch } from '../store/write-batch.js';
import { clientAddress, deviceId, knownDeviceId } from './browser.js';
import type { FlowResult } from './flow.js';

/** The cookie holding the browser's session id (the store holds only its hash). */
export const SESSION_COOKIE = 'passgate.session';

/** What an application asks of the browser's session besides its context. */
export type SessionAsk = Omit<ReuseRequest, 'context'> & Omit<LoginContext, 'address' | 'device'>;

/** How a sign-in of the hosted login ended, for the session. */
export interface CompletedSignIn {
  user: Pick<User, 'id' | 'username'>;
  amr: string[];
  mfa: boolean;
  /** The password was typed in this sign-in (not skipped because the session had proven it). */
  password: boolean;
  /** The sign-in's country, as the policy resolved it. */
  country: string | null;
}

/** A sign-in's session whose writes are not stored yet (see BrowserSessions.open). */
export interface OpenedSession {
  session: Session;
  /** Stores the sign-in's writes, then gives the browser the session's cookie; once. */
  commit(): Promise<void>;
}

/**
 * The single sign-on session of a browser, as every web door and the hosted login use it: a
 * random id in an HttpOnly, SameSite=Lax cookie on `/` (Secure when the public URL is https)
 * that lasts as long as the session can, the session itself in the store.
 */
export class BrowserSessions {
  constructor(
    readonly sessions: Sessions,
    readonly sso: SingleSignOn,
    private readonly secureCookies: boolean,
  ) {}

  /** The browser's live session, or undefined. */
  current(req: Request): Promise<Session | undefined> {
    return this.sessions.find(cookieOf(req));
  }

  /**
   * What the browser's session can do for an application (answer, step-up, password, deny).
   * Without `res` (a handler that sets its own cookies), the device id is read, never set.
   */
  reuse(req: Request, res: Response | undefined, ask: SessionAsk): Promise<ReuseOutcome> {
    const { stepUp, fresh, maxAgeMs, ...context } = ask;
    const device = res ? deviceId(req, res, this.secureCookies) : knownDeviceId(req);
    return this.sso.reuse(cookieOf(req), {
      context: { ...context, address: clientAddress(req), ...(device ? { device } : {}) },
      stepUp,
      ...(fresh ? { fresh } : {}),
      maxAgeMs,
    });
  }

  /** The result an application gets from a session that answered it, after recording the use. */
  async answered(
    req: Request,
    outcome: Extract<ReuseOutcome, { kind: 'answer' }>,
    ask: { door: string; application: string },
  ): Promise<FlowResult> {
    const { result, recordUse } = this.answer(req, outcome, ask);
    await recordUse();
    return result;
  }

  /**
   * The result an application gets from a session that answered it, and the recording of that
   * use (audit, idle time) for the door to make where it records its own answer: into the
   * batch of the answer's writes (one commit for all), or started beside its own audit event
   * (one statement for both, see GroupedInsert), where awaiting the use first would cost a
   * commit of its own. The door must call `recordUse` before it answers (and, with a batch,
   * commit the batch).
   */
  answer(
    req: Request,
    outcome: Extract<ReuseOutcome, { kind: 'answer' }>,
    ask: { door: string; application: string },
  ): { result: FlowResult; recordUse: (batch?: WriteBatch) => Promise<void> } {
    const { session, user, decision, mfa } = outcome;
    const address = clientAddress(req);
    return {
      result: {
        userId: user.id,
        amr: session.amr,
        mfa,
        decision: { action: decision.action, rule: decision.rule },
        session: { id: session.id, authTime: session.authTime },
      },
      recordUse: (batch) =>
        this.sessions.reused(
          session,
          user,
          { door: ask.door, application: ask.application, address, rule: decision.rule },
          batch,
        ),
    };
  }

  /**
   * After a sign-in of the hosted login: the browser's session of the same user is proven again
   * (a step-up, a fresh password); otherwise a new session starts (another user's is ended). A
   * new session joins the sign-in's `batch` of writes, which the door may add its own to; the
   * browser gets its cookie from `commit`, which stores the batch first (once, whoever calls it:
   * a later call answers as the first did). The caller must commit before it answers.
   */
  async open(
    req: Request,
    res: Response,
    signIn: CompletedSignIn,
    batch: WriteBatch,
  ): Promise<OpenedSession> {
    const address = clientAddress(req);
    const current = await this.current(req);
    let opened: { session: Session; secret: string };
    if (current?.userId === signIn.user.id) {
      // Every proof rotates the browser's id: the one it had before no longer works.
      opened = await this.sessions.prove(current, { ...signIn, address });
    } else {
      if (current) await this.sessions.revoke(current, { reason: 'replaced', address });
      opened = await this.sessions.start(
        { ...signIn, address, device: deviceId(req, res, this.secureCookies) },
        batch,
      );
    }
    let committed: Promise<void> | undefined;
    const commit = () => {
      // The session is stored before the browser is given its id.
      committed ??= batch.commit().then(() => this.give(req, res, opened.secret));
      return committed;
    };
    return { session: opened.session, commit };
  }

  /**
   * Gives the browser a new id for its session of `user` (a second factor was added to the
   * account): the one it held before finds nothing any more. False when it has none of theirs.
   */
  async rotate(
    req: Request,
    res: Response,
    user: Pick<User, 'id' | 'username'>,
    reason: string,
  ): Promise<boolean> {
    const current = await this.current(req);
    if (current?.userId !== user.id) return false;
    const { secret } = await this.sessions.rotate(current, { user, address: clientAddress(req), reason });
    this.give(req, res, secret);
    return true;
  }

  /** Gives the browser its session id, also for the rest of this request. */
  private give(req: Request, res: Response, secret: string): void {
    if (req.cookies) (req.cookies as Record<string, unknown>)[SESSION_COOKIE] = secret;
    res.cookie(SESSION_COOKIE, secret, {
      httpOnly: true,
      // Lax: an application's sign-in request arrives cross-site (a SAML POST, an OIDC redirect)
      // and the top-level navigation that follows must carry the session.
      sameSite: 'lax',
      secure: this.secureCookies,
      path: '/',
      maxAge: this.sessions.absoluteMs,
    });
  }

  /** Ends the browser's session (signing out), and drops its cookie; the session it ended, if any. */
  async end(req: Request, res: Response, reason: string): Promise<Session | undefined> {
    const current = await this.current(req);
    if (current) await this.sessions.revoke(current, { reason, address: clientAddress(req) });
    this.forget(res);
    return current;
  }

  /** Drops the browser's cookie (its session was ended). */
  forget(res: Response): void {
    res.clearCookie(SESSION_COOKIE, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secureCookies,
      path: '/',
    });
  }
}

const cookieOf = (req: Request): unknown =>
  (req.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
