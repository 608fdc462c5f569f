import { z } from 'zod';
import { sessionIdleMinutesSetting, sessionMaxHoursSetting } from './site-session-schema.js';

/** The administration site's roles, from most to least powerful (a user in several takes the first). */
export const ADMIN_ROLES = ['administrator', 'helpdesk', 'auditor'] as const;

/** One role of the administration site. */
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Who holds one role: members of these directory groups, and these user names. */
const roleMembers = z
  .strictObject({
    groups: z
      .array(z.string().trim().min(1))
      .default([])
      .describe(
        'Directory groups whose members hold the role (names as `user list` shows them; case-insensitive).',
      ),
    users: z
      .array(z.string().trim().min(1))
      .default([])
      .describe('User names that hold the role (local or directory users; case-insensitive).'),
  })
  .prefault({});

/** The longest `admin.sessionMaxHours` allowed: no administration cookie is valid longer. */
export const ADMIN_SESSION_MAX_HOURS_LIMIT = 12;

/** The administration site (`/admin`): who administers, and how long its sessions last. */
export const adminSchema = z
  .strictObject({
    roles: z
      .strictObject({
        administrator: roleMembers.describe(
          'Everything: users, tokens, sessions, seats, policies, gateways, applications, licences.',
        ),
        helpdesk: roleMembers.describe(
          'Users, tokens, sessions and seats; no policies, gateways, applications or licences.',
        ),
        auditor: roleMembers.describe('Reads everything, changes nothing.'),
      })
      .prefault({})
      .describe(
        'Who may use the administration site, by role. A user in several roles takes the most powerful; a user in none is refused (403) after signing in.',
      ),
    sessionIdleMinutes: sessionIdleMinutesSetting('An administration'),
    sessionMaxHours: sessionMaxHoursSetting('An administration', ADMIN_SESSION_MAX_HOURS_LIMIT),
  })
  .prefault({})
  .describe(
    'Administration site (`/admin`): sign-in through the hosted login, always with a second factor; roles from directory groups or user names.',
  );
