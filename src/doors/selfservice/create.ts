import type { Router } from 'express';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import type { Challenges } from '../../engine/challenges.js';
import type { PasscodeSender } from '../../engine/passcode-sender.js';
import { BrowserBinding } from '../../login/browser-binding.js';
import type { LoginFlowSource } from '../../login/flow.js';
import type { Logger } from '../../observability/logger.js';
import type { Core } from '../../server/core.js';
import { ChallengesRepository } from '../../store/repositories/challenges.js';
import { LoginFlowsRepository } from '../../store/repositories/login-flows.js';
import { PendingEnrolmentsRepository } from '../../store/repositories/pending-enrolments.js';
import { RevokedSessionsRepository } from '../../store/repositories/revoked-sessions.js';
import { createCsrfProtection } from '../../web/csrf.js';
import type { Translations } from '../../web/i18n.js';
import type { PageRenderer } from '../../web/render.js';
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

/** What the self-service site is assembled from in the composition root. */
export interface SelfServiceOptions {
  core: Core;
  challenges: Challenges;
  /** The engine's passcode sender: a new number's passcode is drawn and worded as at sign-in. */
  sender: PasscodeSender;
  dispatcher: Dispatcher;
  translations: Translations;
  render: PageRenderer;
  secureCookies: boolean;
  logger: Logger;
}

/** The self-service site as the server mounts it. */
export interface SelfService {
  router: Router;
  /** Its sign-ins, for the hosted login's flow sources. */
  flows: LoginFlowSource;
  /** Drops what expired (unconfirmed authenticators, revocations, sign-ins); the server's clean-up job calls it. */
  prune(now: number): Promise<unknown>;
}

/** The self-service site: its pages, and its sign-ins for the hosted login's flow sources. */
export function createSelfService(options: SelfServiceOptions): SelfService {
  const { core, translations, secureCookies } = options;
  const { config, box, clock } = core;
  const sessions = new SelfServiceSessions(
    box,
    secureCookies,
    clock,
    {
      idleMinutes: config.selfservice.sessionIdleMinutes,
      maxHours: config.selfservice.sessionMaxHours,
    },
    new RevokedSessionsRepository(core.database.db),
  );
  const t = (language: string, key: string, values: Record<string, unknown> = {}) =>
    String(translations.i18n.t(key, { lng: language, ns: 'selfservice', ...values }));
  const binding = new BrowserBinding<PendingSignIn>({
    door: SELFSERVICE_DOOR,
    cookie: SELFSERVICE_FLOW_COOKIE,
    uidPrefix: 'ss-',
    lifetimeMs: SELFSERVICE_FLOW_MINUTES * 60_000,
    flows: new LoginFlowsRepository(core.database.db),
    clock,
    secureCookies,
  });
  const flows = new SelfServiceFlows(binding, sessions, () => t(translations.defaultLanguage, 'title'));
  const enrolment = new SoftwareEnrolment({
    tokens: core.tokens,
    enrolments: new PendingEnrolmentsRepository(core.database.db),
    types: core.tokenTypes,
    issuer: config.mfa.issuer,
    clock,
    pendingMinutes: config.selfservice.pendingEnrolmentMinutes,
  });
  const router = createSelfServiceRouter({
    mobile: {
      change: createMobileChange(options),
      country: mobileCountry(config),
    },
    sessions,
    flows,
    enrolment,
    users: core.users,
    tokens: core.tokens,
    audit: core.audit,
    policies: core.policies,
    factors: async (userId) => {
      const user = await core.users.findById(userId);
      return user ? options.challenges.offersFor(user, undefined, { preview: true }) : [];
    },
    notice: {
      dispatcher: options.dispatcher,
      translate: t,
      languages: translations.languages,
      audit: core.audit,
      logger: options.logger,
      clock,
    },
    render: options.render,
    // Bound to the session: a form of one session is refused in another.
    csrf: createCsrfProtection(
      box.derive('selfservice-csrf'),
      secureCookies,
      (req) => sessionOf(req)?.sid ?? '',
      { name: 'passgate.selfservice.csrf' },
    ),
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
    prune: async (now) => {
      await enrolment.prune(now);
      await sessions.prune(now);
      await flows.prune(now);
    },
  };
}

/** Changes of mobile number, through the engine's PasscodeSender (Passcode Policy, throttling, texts). */
function createMobileChange(options: SelfServiceOptions): MobileChange {
  const { core, sender } = options;
  return new MobileChange({
    challenges: new ChallengesRepository(core.database.db, core.clock),
    passcodes: core.passcodes,
    hasher: core.passcodeHasher,
    sender,
    clock: core.clock,
    ttlSeconds: core.config.mfa.challengeTtlSeconds,
    failures: async (userId, changeId) =>
      (await core.audit.recent({ type: 'selfservice.mobile.changed', userId, limit: 100 })).filter(
        (e) => e.outcome === 'failure' && e.details?.change === changeId,
      ).length,
  });
}
