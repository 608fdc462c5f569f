import cookieParser from 'cookie-parser';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSingleLogout } from '../../src/doors/saml/logout/single-logout.js';
import { createSamlSso, type SamlSso } from '../../src/doors/saml/routes/sso.js';
import { Sessions } from '../../src/engine/sessions.js';
import { SingleSignOn } from '../../src/engine/single-sign-on.js';
import { PassgateError } from '../../src/errors.js';
import { BrowserSessions } from '../../src/login/sessions.js';
import { createLogger } from '../../src/observability/logger.js';
import type { User } from '../../src/store/repositories/users.js';
import { pageSkeletons } from '../../src/web/skeleton.js';
import { addAdUser, createSamlFixture, decode, type SamlFixture } from './support.js';

const ACS = 'https://www.google.com/a/example.com/acs';

/** A login's result as the pages hand it over (held in a variable: the shape is still growing). */
function resultOf(userId: string) {
  return {
    userId,
    amr: ['pwd', 'otp', 'mfa'],
    mfa: true,
    decision: { action: 'mfa' as const, rule: 'default' },
  };
}

/** The browser's single sign-on session over the fixture's store (the sign-ins here start none). */
function browserSessions(fixture: SamlFixture): BrowserSessions {
  const { core } = fixture;
  const sessions = new Sessions(core.repositories.sessions, core.audit, core.config.sessions, fixture.clock);
  const sso = new SingleSignOn({
    sessions,
    users: core.users,
    directory: core.directory,
    policy: {
      decide: async () => Promise.reject(new Error('no policy here')),
      denied: async () => undefined,
    },
    mfaSessionMinutes: 0,
    clock: fixture.clock,
  });
  return new BrowserSessions(sessions, sso, true);
}

describe('SAML flows (the LoginFlowSource of the SAML door)', () => {
  let fixture: SamlFixture;
  let sso: SamlSso;
  let user: User;
  let app: express.Express;

  beforeAll(async () => {
    fixture = await createSamlFixture();
    user = await addAdUser(fixture);
    const sessions = new Sessions(
      fixture.core.repositories.sessions,
      fixture.core.audit,
      fixture.core.config.sessions,
      fixture.clock,
    );
    const render = async (_req: unknown, view: string, locals: Record<string, unknown>) =>
      JSON.stringify({ view, ...locals });
    sso = createSamlSso(fixture.door, {
      config: fixture.core.config,
      flowsStore: fixture.core.repositories.loginFlows,
      users: fixture.core.users,
      audit: fixture.core.audit,
      sessions: browserSessions(fixture),
      // These tests drive sign-ins only: no browser session is ever found for a logout.
      logout: createSingleLogout(fixture.door, {
        config: fixture.core.config,
        flows: fixture.core.repositories.loginFlows,
        sessions,
        browserSessions: { current: async () => undefined, forget: () => {} },
        render,
        clock: fixture.clock,
        logger: createLogger('silent'),
        publicUrl: 'https://idp.example.com',
      }),
      render,
      pages: pageSkeletons(render, () => 'en', false),
      clock: fixture.clock,
      logger: createLogger('silent'),
      secureCookies: true,
    });
    app = express();
    app.use(cookieParser());
    app.get('/start', async (_req, res) => {
      const sp = fixture.door.registry.named('google')!;
      const uid = await sso.flows.start(res, {
        sp,
        request: { id: '_req1', acsUrl: ACS, relayState: 'rs' },
        stepUp: 'requested_authn_context',
      });
      res.json({ uid });
    });
    app.get('/login/:uid', async (req, res) => {
      const flow = await sso.flows.load(req, res, req.params.uid);
      res.json(flow ? { ...flow } : null);
    });
    app.get('/login/:uid/finish', async (req, res) => {
      const flow = await sso.flows.load(req, res, req.params.uid);
      if (!flow) return void res.status(404).end();
      await flow.finish(req, res, resultOf(user.id));
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ code: (error as PassgateError).code });
    });
  });
  afterAll(() => fixture.close());

  /** A new flow, its cookie as set, and a client that sends the cookie back (supertest drops Secure ones over http). */
  async function started() {
    const start = await request(app).get('/start');
    const cookie = (start.headers['set-cookie'] as unknown as string[])[0]!;
    const pair = cookie.split(';')[0]!;
    const get = (path: string) => request(app).get(path).set('cookie', pair);
    return { uid: start.body.uid as string, cookie, get };
  }

  it('binds a flow to its browser with an HttpOnly, Secure, Lax cookie scoped to /login/<uid>', async () => {
    const { uid, cookie } = await started();
    expect(uid).toMatch(/^[\w-]{22}$/);
    expect(cookie).toMatch(new RegExp(`^passgate_saml_flow=[\\w-]{43}; Max-Age=600; Path=/login/${uid}; `));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Lax');
    const row = await fixture.core.database.db
      .selectFrom('login_flows')
      .selectAll()
      .where('uid', '=', uid)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(cookie).not.toContain(row.secret_hash);
  });

  it('gives the flow to its browser only', async () => {
    const { get, uid } = await started();
    const own = await get(`/login/${uid}`);
    expect(own.body).toMatchObject({
      uid,
      door: 'saml',
      application: 'google',
      applicationName: 'Google Workspace',
      stepUp: 'requested_authn_context',
    });
    expect((await request(app).get(`/login/${uid}`)).body).toBeNull();
    const forged = await request(app).get(`/login/${uid}`).set('cookie', 'passgate_saml_flow=guessed');
    expect(forged.body).toBeNull();
  });

  it('expires a flow after saml.requestLifetimeSeconds', async () => {
    const { get, uid } = await started();
    fixture.clock.advance(601_000);
    expect((await get(`/login/${uid}`)).body).toBeNull();
    expect(await sso.prune(fixture.clock())).toBeGreaterThan(0);
  });

  it('finishes with the response page and a saml.response audit event', async () => {
    const { get, uid } = await started();
    const page = await get(`/login/${uid}/finish`);
    const locals = JSON.parse(page.text);
    expect(locals).toMatchObject({
      view: 'saml/post',
      acsUrl: ACS,
      relayState: 'rs',
      applicationName: 'Google Workspace',
    });
    expect(decode(locals.samlResponse)).toContain('InResponseTo="_req1"');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(String(page.headers['set-cookie'])).toMatch(/passgate_saml_flow=; Path=\/login\//);
    expect((await get(`/login/${uid}`)).body).toBeNull();
    const [event] = await fixture.core.audit.recent({ type: 'saml.response', limit: 1 });
    expect(event).toMatchObject({
      outcome: 'success',
      username: 'alice',
      details: { sp: 'google', nameIdFormat: 'emailAddress', mfa: true, inResponseTo: '_req1' },
    });
  });

  it('refuses a second finish of the same flow (SAML_FLOW_COMPLETED), and a cancel after it', async () => {
    const { uid, cookie } = await started();
    const secret = /^passgate_saml_flow=([\w-]+)/.exec(cookie)![1]!;
    const req = { cookies: { passgate_saml_flow: secret }, ip: '127.0.0.1' } as unknown as express.Request;
    const sent: unknown[] = [];
    const res = {
      cookie: () => res,
      clearCookie: () => res,
      status: () => res,
      set: () => res,
      type: () => res,
      send: (body: string) => sent.push(body),
      setHeader: () => res,
      end: (body: Buffer) => sent.push(body),
    } as unknown as express.Response;
    const flow = (await sso.flows.load(req, res, uid))!;
    const result = {
      userId: user.id,
      amr: ['pwd'],
      mfa: false,
      decision: { action: 'allow' as const, rule: 'default' },
    };
    await Promise.all(
      [flow.finish(req, res, result), flow.finish(req, res, result)].map((p) => p.catch((e) => e)),
    ).then((outcomes) => {
      const errors = outcomes.filter((o) => o instanceof PassgateError);
      expect(errors.map((e) => e.code)).toEqual(['SAML_FLOW_COMPLETED']);
    });
    expect(sent).toHaveLength(1);
    await expect(flow.cancel(req, res)).rejects.toMatchObject({ code: 'SAML_FLOW_COMPLETED' });
  });
});
