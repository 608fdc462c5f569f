import type { Clock } from '../../clock.js';
import type { ResetSite } from '../../config/reset-schema.js';
import type { Directory } from '../../directory/directory.js';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type {
  PasswordRemindersRepository,
  ReminderKey,
} from '../../store/repositories/password-reminders.js';
import type { DirectoryUser } from '../../store/repositories/users.js';
import { type NoticeTranslate, notifyUser, ownLanguage } from '../user-message.js';

const DAY = 86_400_000;

/** A reminder due now: whom, for which expiry and threshold, where to, and whether it went already. */
export interface DueReminder {
  site: string;
  directory: string;
  username: string;
  expiresAt: number;
  /** The threshold (days before the expiry) this reminder is for. */
  daysBefore: number;
  /** Channels and masked destinations it goes (or would go) to. */
  to: Array<{ channel: 'email' | 'sms'; to: string }>;
  /** Already sent (by an earlier run, another worker or server). */
  sent: boolean;
  key: ReminderKey;
  user: DirectoryUser;
  language: string;
}

/** What reminders are found and sent with. */
export interface ReminderDeps {
  directories: ReadonlyMap<string, Directory>;
  reminders: PasswordRemindersRepository;
  clock: Clock;
  /** The external base URL; a site with `host` is linked on that host name. */
  publicUrl: string;
  /** Languages there are texts in, and the one used when neither the user nor the site names one. */
  languages: readonly string[];
  defaultLanguage: string;
}

/** What sending needs besides. */
export interface ReminderSendDeps extends ReminderDeps {
  dispatcher: Pick<Dispatcher, 'send' | 'supports'>;
  translate: NoticeTranslate;
  audit: AuditRepository;
  logger: Pick<Logger, 'warn' | 'info'>;
}

/** How many reminders a run sent, found sent already, and could not send. */
export interface ReminderSummary {
  due: number;
  sent: number;
  alreadySent: number;
  failed: number;
}

/**
 * The threshold a password expiring in `msLeft` is reminded at: the smallest of `daysBefore` that
 * is at least the days left (10 days left with 14, 7, 1: the 14-day one), or none yet.
 */
export function thresholdFor(msLeft: number, daysBefore: readonly number[]): number | undefined {
  const daysLeft = Math.ceil(msLeft / DAY);
  const reached = daysBefore.filter((d) => d >= daysLeft);
  return reached.length > 0 ? Math.min(...reached) : undefined;
}

/** Where a site is reached: the public URL with the site's path (and its host name, when it has one). */
export function siteLink(publicUrl: string, site: ResetSite): string {
  const url = new URL(site.path, publicUrl);
  if (site.host) url.hostname = site.host;
  return url.toString();
}

/**
 * The reminders due now for every site with `reminders`: the users of its directory whose password
 * expires within its largest threshold, each at the threshold reached (missed ones are not sent late).
 */
export async function dueReminders(deps: ReminderDeps, sites: readonly ResetSite[]): Promise<DueReminder[]> {
  const now = deps.clock();
  const due: DueReminder[] = [];
  for (const site of sites) {
    const settings = site.reminders;
    const directory = deps.directories.get(site.directory);
    if (!settings || !directory?.expiringPasswords) continue;
    const until = now + Math.max(...settings.daysBefore) * DAY;
    for (const { user, expiresAt } of await directory.expiringPasswords({ now, until })) {
      const daysBefore = thresholdFor(expiresAt - now, settings.daysBefore);
      if (daysBefore === undefined || !user.externalId) continue;
      const key = {
        directory: site.directory,
        externalId: user.externalId,
        expiresAt,
        thresholdDays: daysBefore,
      };
      const to = settings.channels.flatMap((channel) => {
        const address = channel === 'email' ? user.email : user.mobile;
        return address ? [{ channel, to: address }] : [];
      });
      due.push({
        site: site.name,
        directory: site.directory,
        username: user.username,
        expiresAt,
        daysBefore,
        to,
        sent: await deps.reminders.claimed(key),
        key,
        user,
        language: languageOf(deps, user, site),
      });
    }
  }
  return due;
}

/**
 * Sends the reminders due now. Each is claimed in the store before it goes out: whatever the
 * number of workers and servers, and across restarts, one reminder per threshold and expiry.
 */
export async function sendReminders(
  deps: ReminderSendDeps,
  sites: readonly ResetSite[],
): Promise<ReminderSummary> {
  const summary: ReminderSummary = { due: 0, sent: 0, alreadySent: 0, failed: 0 };
  for (const reminder of await dueReminders(deps, sites)) {
    summary.due++;
    if (reminder.sent || !(await deps.reminders.claim(reminder.key, deps.clock()))) {
      summary.alreadySent++;
      continue;
    }
    const site = sites.find((s) => s.name === reminder.site)!;
    const ok = await sendOne(deps, reminder, siteLink(deps.publicUrl, site));
    summary[ok ? 'sent' : 'failed']++;
  }
  return summary;
}

async function sendOne(deps: ReminderSendDeps, reminder: DueReminder, link: string): Promise<boolean> {
  const { user, language } = reminder;
  const values = {
    name: user.displayName ?? user.username,
    account: user.username,
    date: new Date(reminder.expiresAt).toISOString().slice(0, 10),
    link,
  };
  const t = (key: string) => deps.translate(language, `reminder.${key}`, values);
  const event = { type: 'reset.reminder', username: user.username };
  const details = {
    site: reminder.site,
    directory: reminder.directory,
    daysBefore: reminder.daysBefore,
    expiresAt: new Date(reminder.expiresAt).toISOString(),
  };
  const sent = await notifyUser(deps, {
    event,
    details,
    destinations: reminder.to.filter((target) => deps.dispatcher.supports(target.channel)),
    language,
    text: t,
    failureLog: 'password reminder not sent',
  });
  return sent > 0;
}

/** The user's own language (AD preferredLanguage) when there are texts in it, else the site's, else the default. */
function languageOf(deps: ReminderDeps, user: DirectoryUser, site: ResetSite): string {
  const own = ownLanguage(user, deps.languages);
  if (own) return own;
  return site.language && deps.languages.includes(site.language) ? site.language : deps.defaultLanguage;
}
