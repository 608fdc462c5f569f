import type { Config } from '../../../config/load.js';
import type { TrustedNetwork, TrustedNetworkChange } from '../../../store/repositories/trusted-networks.js';

/** One day in milliseconds. */
export const DAY = 24 * 60 * 60 * 1000;

/** Where a network stands: still counting, trusted now, trusted once, or revoked by an administrator. */
export type TrustState = 'learning' | 'trusted' | 'expired' | 'revoked';

/** The state of a learned network at `now`. */
export function stateOf(entry: TrustedNetwork, now: number): TrustState {
  if (entry.revokedAt !== null) return 'revoked';
  if (entry.trustedUntil === null) return 'learning';
  return entry.trustedUntil > now ? 'trusted' : 'expired';
}

/**
 * A network after one more MFA success at `now`: only the N most recent successes within the
 * last D days are kept (enough to decide "N within any D days" exactly, and bounded); N of them
 * make it trusted until now + T, as does any success while it is trusted; a revoked network
 * starts counting afresh.
 */
export function afterSuccess(
  current: TrustedNetwork,
  now: number,
  settings: Config['policies']['learning'],
): TrustedNetworkChange {
  const fresh = current.revokedAt !== null || current.successes.length === 0;
  const successes = [...(fresh ? [] : current.successes), now]
    .filter((at) => at > now - settings.withinDays * DAY)
    .sort((a, b) => a - b)
    .slice(-settings.successes);
  const trusted = stateOf(current, now) === 'trusted' || successes.length >= settings.successes;
  return {
    successes,
    firstSuccessAt: fresh ? now : Math.min(current.firstSuccessAt, now),
    lastSuccessAt: fresh ? now : Math.max(current.lastSuccessAt, now),
    trustedUntil: trusted
      ? Math.max(current.trustedUntil ?? 0, now + settings.trustDays * DAY)
      : current.trustedUntil,
    revokedAt: null,
  };
}
