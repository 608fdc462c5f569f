import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../../../errors.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';

/** How hard Passgate tries to hand a client its Logout Token (`oidc.backChannelLogout`). */
export interface BackChannelSettings {
  /** Longest wait for one answer. */
  timeoutSeconds: number;
  /** Tries in all (the first and the retries). */
  attempts: number;
}

/** One Logout Token on its way to one client. */
export interface BackChannelDelivery {
  clientId: string;
  uri: string;
  token: string;
  session: string;
  userId: string;
}

/** First wait before a retry; doubled for each further one. */
const FIRST_RETRY_MS = 500;

/**
 * Posts a Logout Token to a client's `backchannel_logout_uri` (Back-Channel Logout 1.0, section
 * 2.5): form-encoded `logout_token`, no redirects followed, 200 or 204 is success. A timeout, a
 * network error or a 5xx is tried again a bounded number of times; a 4xx (the client refused the
 * token) is not. Never throws: the outcome is audited (`oidc.logout.backchannel`).
 */
export async function deliverLogoutToken(
  delivery: BackChannelDelivery,
  settings: BackChannelSettings,
  audit: Pick<AuditRepository, 'record'>,
): Promise<boolean> {
  let problem = '';
  let attempt = 0;
  while (attempt < settings.attempts) {
    if (attempt > 0) await sleep(FIRST_RETRY_MS * 2 ** (attempt - 1));
    attempt++;
    try {
      const response = await fetch(delivery.uri, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
        body: new URLSearchParams({ logout_token: delivery.token }),
        signal: AbortSignal.timeout(settings.timeoutSeconds * 1000),
      });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 204) {
        await record(audit, delivery, 'success', { attempts: attempt });
        return true;
      }
      problem = `answered ${response.status}`;
      if (response.status < 500) break;
    } catch (error) {
      problem =
        (error as Error).name === 'TimeoutError'
          ? 'timed out'
          : describeError((error as Error).cause ?? error);
    }
  }
  await record(audit, delivery, 'failure', { attempts: attempt, problem });
  return false;
}

async function record(
  audit: Pick<AuditRepository, 'record'>,
  delivery: BackChannelDelivery,
  outcome: 'success' | 'failure',
  details: Record<string, unknown>,
): Promise<void> {
  try {
    await audit.record({
      type: 'oidc.logout.backchannel',
      outcome,
      userId: delivery.userId,
      details: { client: delivery.clientId, session: delivery.session, ...details },
    });
  } catch {
    // The store away: the delivery itself is what mattered.
  }
}
