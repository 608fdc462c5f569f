import type { LoadBalancingPolicy } from './load-balancing-policy.js';
import { SmoothWeighted } from './smooth-weighted.js';

/**
 * Orders a policy's gateways for one message. `priority`: by priority, listed order within a
 * priority. `weighted`: the smooth weighted round-robin choice first, then the others by weight.
 * Gateways whose breaker is open come last, so that a message is tried everywhere before it is
 * given up, but never waits for a known-bad gateway while another may take it.
 */
export class LoadBalancer {
  private readonly rotations = new Map<string, { signature: string; rotation: SmoothWeighted }>();

  /** Gateway names in the order to try them. */
  plan(
    policy: LoadBalancingPolicy,
    members: readonly string[],
    available: (gateway: string) => boolean,
  ): string[] {
    const listed = policy.members.filter((m) => members.includes(m.gateway));
    const ready = listed.filter((m) => available(m.gateway));
    const skipped = listed.filter((m) => !available(m.gateway));
    if (policy.strategy === 'priority') {
      const byPriority = (list: typeof listed) =>
        list
          .map((m, i) => ({ m, i }))
          .sort((a, b) => a.m.priority - b.m.priority || a.i - b.i)
          .map(({ m }) => m.gateway);
      return [...byPriority(ready), ...byPriority(skipped)];
    }
    const byWeight = (list: typeof listed) =>
      [...list].sort((a, b) => b.weight - a.weight).map((m) => m.gateway);
    const first = this.rotation(policy, listed).pick(ready);
    const rest = byWeight(ready).filter((g) => g !== first);
    return [...(first ? [first] : []), ...rest, ...byWeight(skipped)];
  }

  private rotation(policy: LoadBalancingPolicy, listed: ReadonlyArray<{ gateway: string; weight: number }>) {
    // A changed policy (other members or weights) starts a fresh rotation.
    const signature = listed.map((m) => `${m.gateway}:${m.weight}`).join(',');
    let entry = this.rotations.get(policy.name);
    if (entry?.signature !== signature) {
      entry = { signature, rotation: new SmoothWeighted() };
      this.rotations.set(policy.name, entry);
    }
    return entry.rotation;
  }
}
