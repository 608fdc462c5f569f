import type { Router } from 'express';
import { BrowserBinding } from '../../login/browser-binding.js';
import type { LoginFlowSource } from '../../login/flow.js';
import type { DoorContext } from '../door.js';
import { SoftwareEnrolment } from './enrolment.js';
import {
  type PendingSignIn,
  SELFSERVICE_DOOR,
  SELFSERVICE_FLOW_COOKIE,
  SELFSERVICE_FLOW_MINUTES,
  SelfServiceFlows,
} from './login-flows.js';
import { MobileChange } from './mobile-change.js';
import { mobileCountry } from './phone-number.js';
import { createSelfServiceRouter } from './routes.js';
import { SelfServiceSessions, sessionOf } from './session.js';

/** The self-service site's parts, as its door hands them to the server. */
export interface SelfService {
  router: Router;
  /** Its sign-ins, for the hosted login's flow sources. */
  flows: LoginFlowSource;
  /** Drops unconfirmed authenticators whose enrolment expired. */
  pruneEnrolments(now: number): Promise<unknown>;
  /** Forgets revocations of sessions that have expired anyway. */
  pruneRevocations(now: number): Promise<unknown>;
  /** Drops sign-ins in progress that expired. */
  pruneFlows(now: number): Promise<unknown>;
}

/**
 * Where a logout started at Passgate reaches the SAML applications of a session: the SAML door's
 * public `POST /saml/logout` (docs/sessions.md), which ends the session and runs the single logout chain.
 */
const SAML_LOGOUT_PATH = '/saml/logout';

/** The self-service site: its pages, and its sign-ins for the hosted login's flow sources. */
export function createSelfService(context: DoorContext): SelfService {
  const { core, engine, web, logger } = context;
  const { translations, secureCookies } = web;
  const { config, box, clock } = core;
  const sessions = new SelfServiceSessions(
    box,
    secureCookies,
    clock,
    {
      idleMinutes: config.selfservice.sessionIdleMinutes,
      maxHours: config.selfservice.sessionMaxHours,
    },
    core.repositories.revokedSessions,
    engine.sessions,
  );
  const t = (language: string, key: string, values: Record<string, unknown> = {}) =>
    String(translations.i18n.t(key, { lng: language, ns: 'selfservice', ...values }));
  const binding = new BrowserBinding<PendingSignIn>({
    door: SELFSERVICE_DOOR,
    cookie: SELFSERVICE_FLOW_COOKIE,
    uidPrefix: 'ss-',
    lifetimeMs: SELFSERVICE_FLOW_MINUTES * 60_000,
    flows: core.repositories.loginFlows,
    clock,
    secureCookies,
  });
  const flows = new SelfServiceFlows(binding, sessions, () => t(translations.defaultLanguage, 'title'));
  const enrolment = new SoftwareEnrolment({
    tokens: core.tokens,
    enrolments: core.repositories.pendingEnrolments,
    types: core.tokenTypes,
    issuer: config.mfa.issuer,
    clock,
    pendingMinutes: config.selfservice.pendingEnrolmentMinutes,
  });
  const router = createSelfServiceRouter({
    mobile: {
      change: createMobileChange(context),
      country: mobileCountry(config),
    },
    sessions,
    sso: {
      list: (filter) => engine.sessions.list(filter),
      byId: (id) => engine.sessions.byId(id),
      revoke: (session, revocation) => engine.sessions.revoke(session, revocation),
      revokeUser: (userId, revocation) => engine.sessions.revokeUser(userId, revocation),
      endElsewhere: (session, revocation, initiator) =>
        engine.sessions.endElsewhere(session, revocation, initiator),
      forget: (res) => context.sessions.forget(res),
      rotate: (req, res, user, reason) => context.sessions.rotate(req, res, user, reason),
      // The chain at /saml/logout signs the SAML SPs out and shows the OIDC clients' front-channel frames.
      singleLogout: async (userId, sessionId) => {
        const [session] = (await engine.sessions.list({ userId })).filter((s) => s.id === sessionId);
        if (!session) return undefined;
        const throughBrowser =
          session.applications.some((app) => app.door === 'saml') ||
          (await engine.sessions.frontChannelOf(session.id)).length > 0;
        return throughBrowser ? SAML_LOGOUT_PATH : undefined;
      },
    },
    flows,
    enrolment,
    users: core.users,
    tokens: core.tokens,
    audit: core.audit,
    policies: core.policies,
    factors: async (userId) => {
      const user = await core.users.findById(userId);
      return user ? engine.challenges.offersFor(user, undefined, { preview: true }) : [];
    },
    notice: {
      dispatcher: engine.dispatcher,
      translate: t,
      languages: translations.languages,
      audit: core.audit,
      logger,
      clock,
    },
    render: web.render,
    // Bound to the session: a form of one session is refused in another.
    csrf: web.csrf('selfservice-csrf', (req) => sessionOf(req)?.sid ?? '', {
      name: 'passgate.selfservice.csrf',
    }),
    language: (req) => translations.detect(req),
    clock,
    settings: {
      firstEnrolmentWindowDays: config.selfservice.firstEnrolmentWindowDays,
      requireMfa: config.policies.requireMfa,
      mobileChange: config.selfservice.mobileChange,
      issuer: config.mfa.issuer,
    },
    maxBodyBytes: config.server.maxBodyBytes,
  });
  return {
    router,
    flows,
    pruneEnrolments: (now) => enrolment.prune(now),
    pruneRevocations: (now) => sessions.prune(now),
    pruneFlows: (now) => flows.prune(now),
  };
}

/** Changes of mobile number, through the engine's PasscodeSender (Passcode Policy, throttling, texts). */
function createMobileChange({ core, engine }: DoorContext): MobileChange {
  return new MobileChange({
    challenges: core.repositories.challenges,
    passcodes: core.passcodes,
    hasher: core.passcodeHasher,
    sender: engine.sender,
    clock: core.clock,
    ttlSeconds: core.config.mfa.challengeTtlSeconds,
    failures: async (userId, changeId) =>
      (await core.audit.recent({ type: 'selfservice.mobile.changed', userId, limit: 100 })).filter(
        (e) => e.outcome === 'failure' && e.details?.change === changeId,
      ).length,
  });
}
