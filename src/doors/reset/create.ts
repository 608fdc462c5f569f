import { type Request, type Response, Router } from 'express';
import { ConfigErrors } from '../../config/errors.js';
import type { ResetSite } from '../../config/reset-schema.js';
import { BrowserBinding } from '../../login/browser-binding.js';
import type { FlowBranding } from '../../login/flow.js';
import type { DoorContext } from '../door.js';
import type { ActionDeps } from './actions.js';
import { type PendingReset, RESET_DOOR, RESET_FLOW_COOKIE, ResetJourneys } from './journey.js';
import { type ReminderSendDeps, type ReminderSummary, sendReminders } from './reminders.js';
import { createResetSiteRouter, journeyOf, type SitePage } from './routes.js';
import { readLogo } from './site.js';

/** The reset door's parts, as its door hands them to the server. */
export interface Reset {
  router: Router;
  journeys: ResetJourneys;
  /** Sends the password-expiry reminders due now (the scheduler's job). */
  remindNow(): Promise<ReminderSummary>;
  /** Whether a site sends reminders. */
  reminds: boolean;
}

/** The reset sites of the configuration, each with its own router, sharing one set of journeys. */
export function createReset(context: DoorContext): Reset {
  const { core, engine, web, logger } = context;
  const { config, clock } = core;
  const { translations } = web;
  const settings = config.reset;
  const text = (language: string, key: string, values: Record<string, unknown> = {}) =>
    String(translations.i18n.t(key, { lng: language, ns: 'reset', ...values }));
  const titleOf = (site: ResetSite) =>
    site.title ?? text(site.language ?? translations.defaultLanguage, 'title');
  const binding = new BrowserBinding<PendingReset>({
    door: RESET_DOOR,
    cookie: RESET_FLOW_COOKIE,
    uidPrefix: 'rs-',
    lifetimeMs: settings.journeyMinutes * 60_000,
    flows: core.repositories.loginFlows,
    clock,
    secureCookies: web.secureCookies,
  });
  // Read once at start (a missing file stops the start); the site's pages and its second-factor step show it.
  const logos = new Map(settings.sites.map((site) => [site.name, readLogo(site)]));
  const brandingOf = (site: ResetSite): FlowBranding => ({
    title: titleOf(site),
    logo: logos.get(site.name) ? `${site.path}/logo` : (site.logoUrl ?? null),
    stylesheet: `${site.path}/brand.css`,
  });
  const journeys = new ResetJourneys(
    binding,
    settings.sites,
    core.repositories.loginFlows,
    brandingOf,
    clock,
    core.box,
    web.secureCookies,
  );
  const sitePath = (req: Request) => req.baseUrl || '/';
  const csrf = {
    identify: web.csrf('reset-identify', () => 'reset', { name: 'passgate.reset.csrf', path: sitePath }),
    journey: web.csrf('reset-journey', (req) => journeyOf(req)?.id ?? '', {
      name: 'passgate.reset.journey.csrf',
      path: sitePath,
    }),
  };
  const actions: Omit<ActionDeps, 'directory'> = {
    firstFactor: engine.firstFactor,
    sessions: engine.sessions,
    users: core.users,
    audit: core.audit,
    attempts: core.attempts,
    notice: {
      dispatcher: engine.dispatcher,
      translate: text,
      languages: translations.languages,
      audit: core.audit,
      logger,
      clock,
    },
  };
  const router = Router();
  for (const site of settings.sites) {
    const directory = core.directories.get(site.directory);
    if (!directory)
      throw ConfigErrors.CONFIG_INVALID({
        detail: `reset.sites (${site.name}).directory: no directory named "${site.directory}" (default, or a key of directories)`,
      });
    const language = (req: Request) => translations.detect(req, site.language);
    const logo = logos.get(site.name);
    const page: SitePage = async (req: Request, res: Response, view, locals, status = 200) => {
      const lang = language(req);
      const html = await web.render(req, view, {
        lang,
        t: translations.i18n.getFixedT(lang),
        site: {
          path: site.path,
          title: titleOf(site),
          logo: brandingOf(site).logo,
          helpdesk: site.helpdesk ?? null,
        },
        ...locals,
      });
      res.status(status).type('html').send(html);
    };
    router.use(
      site.path,
      createResetSiteRouter({
        site,
        logo,
        journeys,
        identify: {
          directory,
          seats: engine.seats,
          policy: engine.policy,
          challenges: engine.challenges,
          throttle: core.throttle,
          audit: core.audit,
          attempts: core.attempts,
          limits: {
            perUser: settings.perUser,
            perAddress: settings.perAddress,
            neutralMinMs: settings.neutralMinMs,
          },
          now: clock,
        },
        actions: { ...actions, directory },
        passwordRules: (username) => directory.passwordRules(username),
        page,
        language,
        applicationName: titleOf(site),
        csrf,
        maxBodyBytes: config.server.maxBodyBytes,
      }),
    );
  }
  const reminderDeps: ReminderSendDeps = {
    directories: core.directories,
    reminders: core.repositories.passwordReminders,
    clock,
    publicUrl: context.publicUrl,
    languages: translations.languages,
    defaultLanguage: translations.defaultLanguage,
    dispatcher: engine.dispatcher,
    translate: text,
    audit: core.audit,
    logger,
  };
  const remindingSites = settings.sites.filter((site) => site.reminders);
  const remindNow = async () => {
    const summary = await sendReminders(reminderDeps, remindingSites);
    if (summary.due > 0) logger.info({ ...summary }, 'password-expiry reminders');
    return summary;
  };
  return { router, journeys, remindNow, reminds: remindingSites.length > 0 };
}
