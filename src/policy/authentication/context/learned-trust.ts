import type { Clock } from '../../../clock.js';
import type { Config } from '../../../config/load.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';
import type { TrustedNetworksRepository } from '../../../store/repositories/trusted-networks.js';
import { TrustErrors } from './errors.js';
import { canonicalNetwork, networkOf } from './network-of.js';
import { afterSuccess, DAY, stateOf, type TrustState } from './trust-state.js';

export type { TrustState } from './trust-state.js';

/** One learned network as administrators see it. */
export interface TrustEntry {
  userId: string;
  username: string;
  network: string;
  /** Successful MFA logins counted within the last D days. */
  successes: number;
  state: TrustState;
  trustedUntil: number | null;
  lastSuccessAt: number;
}

/** What recording an MFA success did. */
export interface MfaSuccessOutcome {
  /** The canonical network of the address ('' when the address is not an IP address). */
  network: string;
  /** The network is trusted now. */
  trusted: boolean;
  /** This success made it trusted (it was not before). */
  newlyTrusted: boolean;
}

/**
 * Self-learned trusted networks: after N successful MFA logins of a user from one network
 * (address grouped by prefixV4/prefixV6) within D days, logins from there may skip MFA for T
 * days after the last success. Trust is per user; administrators list and revoke it.
 */
export class LearnedTrust {
  constructor(
    private readonly repository: TrustedNetworksRepository,
    private readonly settings: Config['policies']['learning'],
    private readonly clock: Clock,
    private readonly audit?: Pick<AuditRepository, 'record'>,
  ) {}

  /** The canonical CIDR of the network `address` belongs to; raises TRUST_ADDRESS_INVALID. */
  networkOf(address: string): string {
    return networkOf(address, this.settings);
  }

  /**
   * True when learning is enabled and the user's network of `address` is trusted now (and not
   * revoked); false for anything that is not an IP address. The caller must not let trust
   * stand in for MFA of a user who has no second factor enrolled: such a user has nothing to
   * skip, and trust must never replace an enrolment.
   */
  async isTrusted(userId: string, address: string): Promise<boolean> {
    if (!this.settings.enabled) return false;
    const network = this.tryNetworkOf(address);
    if (!network) return false;
    const entry = await this.repository.find(userId, network);
    return entry !== undefined && stateOf(entry, this.clock()) === 'trusted';
  }

  /**
   * Counts one successful MFA login from `address`. The caller records only MFAs that the
   * policy itself required: nothing may be learned from a network where MFA was skipped (that
   * would make trust self-sustaining) nor from a step-up an application asked for. A success
   * while trusted extends the trust; after a revocation counting starts afresh. Does nothing
   * when learning is disabled or the address is not an IP address. Safe to call concurrently.
   */
  async recordMfaSuccess(userId: string, address: string): Promise<MfaSuccessOutcome> {
    const network = this.tryNetworkOf(address);
    if (!this.settings.enabled || !network)
      return { network: network ?? '', trusted: false, newlyTrusted: false };
    let wasTrusted = false;
    let trusted = false;
    const entry = await this.repository.change(userId, network, this.clock(), (current) => {
      const now = this.clock(); // read under the lock: concurrent calls see time in order
      const next = afterSuccess(current, now, this.settings);
      wasTrusted = stateOf(current, now) === 'trusted';
      trusted = stateOf({ ...current, ...next }, now) === 'trusted';
      return next;
    });
    const newlyTrusted = trusted && !wasTrusted;
    if (newlyTrusted) {
      await this.audit?.record({
        type: 'trust.learned',
        outcome: 'info',
        userId,
        address,
        details: { network, trustedUntil: entry.trustedUntil, successes: entry.successes.length },
      });
    }
    return { network, trusted, newlyTrusted };
  }

  /** Every learned network of one user, or of everybody, with its state now. */
  async list(userId?: string): Promise<TrustEntry[]> {
    const now = this.clock();
    const since = now - this.settings.withinDays * DAY;
    return (await this.repository.list(userId)).map((entry) => ({
      userId: entry.userId,
      username: entry.username,
      network: entry.network,
      successes: entry.successes.filter((at) => at > since).length,
      state: stateOf(entry, now),
      trustedUntil: entry.trustedUntil,
      lastSuccessAt: entry.lastSuccessAt,
    }));
  }

  /** Forgets networks that can no longer become trusted (no success within D days) and are not trusted now. */
  async prune(): Promise<number> {
    const now = this.clock();
    return this.repository.prune(now - this.settings.withinDays * DAY, now);
  }

  /**
   * Revokes one network of a user (a CIDR or any address in it) or, without one, all of the
   * user's; their successes are forgotten. Returns how many were revoked (already revoked ones
   * do not count). Raises TRUST_ADDRESS_INVALID for a network that cannot be parsed.
   */
  async revoke(userId: string, network?: string): Promise<number> {
    const canonical = network === undefined ? undefined : canonicalNetwork(network, this.settings);
    const count = await this.repository.revoke(userId, this.clock(), canonical);
    if (count > 0) {
      await this.audit?.record({
        type: 'trust.revoked',
        outcome: 'success',
        userId,
        details: { network: canonical ?? null, all: canonical === undefined, count },
      });
    }
    return count;
  }

  private tryNetworkOf(address: string): string | null {
    try {
      return this.networkOf(address);
    } catch (error) {
      if (TrustErrors.is(error, 'TRUST_ADDRESS_INVALID')) return null;
      throw error;
    }
  }
}
