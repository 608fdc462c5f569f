import { z } from 'zod';

const colour = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour as #rrggbb')
  .optional();

const limit = (maxFailures: number, windowSeconds: number, what: string) =>
  z
    .strictObject({
      maxFailures: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(maxFailures)
        .describe('Journeys started (whatever their outcome) before further ones are refused.'),
      windowSeconds: z
        .number()
        .int()
        .min(1)
        .max(86_400)
        .default(windowSeconds)
        .describe('Window the journeys are counted in.'),
    })
    .prefault({})
    .describe(what);

/** One reset site: where it is served, the directory it works on, its look and what it offers. */
export const resetSiteSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'expected a short name of lower-case letters, digits and -')
      .describe('Name of the site in policies (the `applications` condition), the audit log and cookies.'),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, 'expected a path such as /reset')
      .refine((p) => !/^\/(login|assets|admin|selfservice|saml|oidc|\.well-known)(\/|$)/.test(p), {
        message: 'is a path of another part of Passgate',
      })
      .default('/reset')
      .describe('Path prefix the site is served under.'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'expected a host name such as reset.example.com')
      .transform((h) => h.toLowerCase())
      .optional()
      .describe('Host name the site answers on (the request Host); absent: every host name.'),
    directory: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a directory name: default, or a key of directories')
      .default('default')
      .describe(
        'The directory whose users the site identifies, resets and unlocks: `default` (the `directory` setting) or a key of `directories`. The site never touches another.',
      ),
    reminders: z
      .strictObject({
        daysBefore: z
          .array(z.number().int().min(1).max(90))
          .min(1)
          .default([14, 7, 1])
          .describe('Days before the expiry a reminder goes out; one reminder per threshold.'),
        channels: z
          .array(z.enum(['email', 'sms']))
          .min(1)
          .default(['email', 'sms'])
          .describe('How reminders go out: e-mail and/or SMS, to whichever address the user has.'),
      })
      .optional()
      .describe(
        'Password-expiry reminders with a link to this site, for the users of its directory (AD): absent, none. One site per directory.',
      ),
    actions: z
      .enum(['reset', 'unlock', 'both'])
      .default('both')
      .describe('What users may do once verified: set a new password, unlock their account, or both.'),
    language: z
      .string()
      .regex(/^[a-z]{2}$/, 'expected a language code such as fr')
      .optional()
      .describe(
        'Language of the pages when the browser names none Passgate has (`?lang=`, cookie, Accept-Language first).',
      ),
    title: z
      .string()
      .min(1)
      .max(80)
      .optional()
      .describe('Title shown on every page; default: the translated "Password reset".'),
    logoFile: z.string().optional().describe('Logo image file (PNG, SVG, JPEG), served by the site itself.'),
    logoUrl: z
      .string()
      .regex(
        /^\/[^/]/,
        'expected a path on this server, such as /assets/logo.svg (the pages allow no other origin)',
      )
      .optional()
      .describe('Logo as a path on this server (instead of `logoFile`).'),
    colours: z
      .strictObject({
        accent: colour.describe('Buttons, links and focus rings.'),
        ink: colour.describe('Text.'),
        background: colour.describe('Page background.'),
      })
      .prefault({})
      .describe('Colours of the site, applied through CSS variables of a style sheet the site serves.'),
    helpdesk: z
      .string()
      .max(200)
      .optional()
      .describe('How to reach the helpdesk (a phone number, an address), shown to users who cannot go on.'),
  })
  .refine((site) => !(site.logoFile && site.logoUrl), { message: 'give logoFile or logoUrl, not both' });

/** A reset site as configured. */
export type ResetSite = z.infer<typeof resetSiteSchema>;

/** The password-reset door: its sites and the protection of its journeys. */
export const resetSchema = z
  .strictObject({
    sites: z
      .array(resetSiteSchema)
      .default([])
      .superRefine((sites, ctx) => {
        const names = new Set<string>();
        const places = new Set<string>();
        const reminded = new Set<string>();
        for (const [index, site] of sites.entries()) {
          if (names.has(site.name))
            ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${site.name}" is used twice` });
          const place = `${site.host ?? '*'}${site.path}`;
          if (places.has(place))
            ctx.addIssue({
              code: 'custom',
              path: [index, 'path'],
              message: `${place} is served by another site`,
            });
          if (site.reminders && reminded.has(site.directory))
            ctx.addIssue({
              code: 'custom',
              path: [index, 'reminders'],
              message: `another site already reminds the users of directory "${site.directory}"`,
            });
          if (site.reminders) reminded.add(site.directory);
          names.add(site.name);
          places.add(place);
        }
      })
      .describe('Reset sites, each on its own path and/or host name; none: the reset door is off.'),
    journeyMinutes: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(10)
      .describe('How long a journey may take, from the user name to the new password or the unlock.'),
    neutralMinMs: z
      .number()
      .int()
      .min(0)
      .max(5000)
      .default(700)
      .describe(
        'The user-name step answers no sooner than this: known and unknown users take the same time (no enumeration by timing).',
      ),
    perUser: limit(5, 3600, 'Journeys a user name may start per window.'),
    perAddress: limit(30, 3600, 'Journeys an address may start per window.'),
    remindersEveryMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(60)
      .describe('How often the server looks for passwords about to expire (sites with `reminders`).'),
  })
  .prefault({})
  .describe('Password reset and account unlock sites (docs/reset.md).');
