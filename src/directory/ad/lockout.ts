import type { Client, Entry } from 'ldapts';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { ThrottleRule } from '../../store/repositories/throttle.js';

/** The first value of an attribute of an entry, as text. */
export const firstValue = (entry: Entry | undefined, attribute: string): string | undefined => {
  const value = entry?.[attribute];
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined ? undefined : String(one);
};

/** AD durations are negative counts of 100-ns intervals. */
export const durationSeconds = (value: string | undefined) =>
  value ? Math.ceil(Math.abs(Number(value)) / 1e7) : 0;

/**
 * The limit that keeps Passgate under the lockout threshold that applies to a user: the
 * fine-grained password policy (msDS-ResultantPSO) when the user has one, else the domain's.
 * Passgate stops `lockoutMargin` attempts short of it, over the same observation window; a
 * threshold of 0 means the domain never locks accounts.
 */
export async function lockoutRule(
  client: Client,
  config: ActiveDirectoryConfig,
  user: Entry | undefined,
): Promise<ThrottleRule | undefined> {
  const pso = firstValue(user, 'msDS-ResultantPSO');
  let threshold: number;
  let window: number;
  if (pso) {
    const { searchEntries } = await client.search(pso, {
      scope: 'base',
      attributes: ['msDS-LockoutThreshold', 'msDS-LockoutObservationWindow'],
    });
    threshold = Number(firstValue(searchEntries[0], 'msDS-LockoutThreshold') ?? 0);
    window = durationSeconds(firstValue(searchEntries[0], 'msDS-LockoutObservationWindow'));
  } else {
    const root = await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
    const domain = firstValue(root.searchEntries[0], 'defaultNamingContext') ?? config.baseDn;
    const { searchEntries } = await client.search(domain, {
      scope: 'base',
      attributes: ['lockoutThreshold', 'lockOutObservationWindow'],
    });
    threshold = Number(firstValue(searchEntries[0], 'lockoutThreshold') ?? 0);
    window = durationSeconds(firstValue(searchEntries[0], 'lockOutObservationWindow'));
  }
  if (!threshold) return undefined;
  return {
    maxFailures: Math.max(1, threshold - config.lockoutMargin),
    windowSeconds: Math.max(window, 60),
    // AD forgets bad passwords only after a whole window without one.
    sliding: true,
  };
}
