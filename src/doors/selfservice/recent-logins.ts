import type { AuditRepository } from '../../store/repositories/audit.js';

/** One sign-in as the user's own list shows it. */
export interface RecentLogin {
  at: number;
  /** The application signed in to (OIDC client id, SAML SP name, `selfservice`). */
  application: string;
  /** Its name as the sign-in page showed it (OIDC client_name, SAML SP displayName), else its id. */
  applicationName: string;
  country: string | null;
  /** The second factor used (totp, sms ...), or null for the password alone. */
  method: string | null;
}

/** The user's latest successful sign-ins, newest first, from the audit log's `login` events. */
export async function recentLogins(
  audit: AuditRepository,
  userId: string,
  limit = 10,
): Promise<RecentLogin[]> {
  const events = await audit.recent({ type: 'login', userId, limit: limit * 2 });
  return events
    .filter((event) => event.outcome === 'success')
    .slice(0, limit)
    .map((event) => {
      const application = String(event.details.application ?? event.details.door ?? '');
      const name = event.details.applicationName;
      return {
        at: event.at,
        application,
        // Sign-ins recorded before names were kept show the id.
        applicationName: typeof name === 'string' && name !== '' ? name : application,
        country: typeof event.details.country === 'string' ? event.details.country : null,
        method: typeof event.details.method === 'string' ? event.details.method : null,
      };
    });
}
