import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { LoadBalancingPolicy } from './load-balancing-policy.js';

/**
 * The stored load-balancing policies, read at most once per period: a change by an administrator
 * reaches every server process within that time, and a message costs no policy query. When the
 * store cannot be read, the defaults apply (an empty list) rather than no delivery at all.
 */
export class PolicyCache {
  private loaded: { at: number; policies: Promise<LoadBalancingPolicy[]> } | undefined;

  constructor(
    private readonly load: () => Promise<LoadBalancingPolicy[]>,
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly logger: Logger,
  ) {}

  /** The current policies. */
  get(): Promise<LoadBalancingPolicy[]> {
    const now = this.clock();
    if (!this.loaded || now - this.loaded.at >= this.periodMs) {
      const policies = this.load().catch((error: unknown) => {
        this.logger.warn(
          { error: describeError(error) },
          'dispatch: policies unreadable, using the defaults',
        );
        this.loaded = undefined;
        return [];
      });
      this.loaded = { at: now, policies };
    }
    return this.loaded.policies;
  }

  /** Forgets the loaded policies. */
  clear(): void {
    this.loaded = undefined;
  }
}
