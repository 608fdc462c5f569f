import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { defaultPolicy, type LoadBalancingPolicy } from '../policy/load-balancing.js';
import type { DeliveryAttemptsRepository } from '../store/repositories/delivery-attempts.js';
import { attempt, errorSummary } from './attempt.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { DispatchErrors } from './errors.js';
import type { Channel, Gateway, OutboundMessage, Receipt } from './gateway.js';
import { LoadBalancer } from './load-balancer.js';
import { maskDestination } from './mask.js';
import { PendingReceipts } from './pending-receipts.js';
import { PolicyCache } from './policy-cache.js';

/** What the dispatcher is built from (see createDispatcher). */
export interface DispatcherOptions {
  gateways: readonly Gateway[];
  /** Loads the stored load-balancing policies, in position order. */
  loadPolicies: () => Promise<LoadBalancingPolicy[]>;
  attempts: DeliveryAttemptsRepository;
  logger: Logger;
  clock: Clock;
  /** How long loaded policies are used before they are read again (default 10 s). */
  policyCacheMs?: number;
}

/** Where a message went. */
export interface DispatchResult {
  gateway: string;
  providerMessageId?: string;
  /** Attempts made, the successful one included. */
  attempts: number;
  policy: string;
}

/**
 * Delivers messages through the gateways as the load-balancing policies say: one attempt after
 * the other until a gateway accepts, each attempt limited in time and recorded (masked
 * destination, outcome, latency, never the text), failing gateways skipped by their breaker.
 */
export class Dispatcher {
  private readonly byName: Map<string, Gateway>;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly balancer = new LoadBalancer();
  private readonly policies: PolicyCache;
  private readonly pending: PendingReceipts;

  constructor(private readonly options: DispatcherOptions) {
    this.byName = new Map(options.gateways.map((g) => [g.name, g]));
    this.policies = new PolicyCache(
      options.loadPolicies,
      options.clock,
      options.policyCacheMs ?? 10_000,
      options.logger,
    );
    this.pending = new PendingReceipts(options.clock);
  }

  /** The gateway of that name, if configured. */
  gateway(name: string): Gateway | undefined {
    return this.byName.get(name);
  }

  /** Whether some gateway carries the channel (the engine offers only such methods). */
  supports(channel: Channel): boolean {
    return this.options.gateways.some((g) => g.channels.includes(channel));
  }

  /** Reads the stored policies again at the next message instead of after the cache period. */
  reloadPolicies(): void {
    this.policies.clear();
  }

  /**
   * Sends one message; resolves once a gateway accepted it. NO_GATEWAY when nothing carries the
   * channel, DISPATCH_FAILED when every gateway failed.
   */
  async send(
    message: OutboundMessage,
    options: { policy?: string; signal?: AbortSignal } = {},
  ): Promise<DispatchResult> {
    const { policy, members } = await this.policyFor(message.channel, options.policy);
    const order = this.balancer.plan(policy, members, (name) =>
      this.breaker(name).available(this.options.clock()),
    );
    const failures: string[] = [];
    for (const name of order) {
      const gateway = this.byName.get(name) as Gateway;
      const breaker = this.breaker(name);
      breaker.begin(this.options.clock());
      const ended = await attempt(gateway, message, policy.attemptTimeoutSeconds * 1000, options.signal);
      await this.record(gateway, message, ended);
      if (ended.outcome === 'sent') {
        breaker.success();
        return {
          gateway: name,
          attempts: failures.length + 1,
          policy: policy.name,
          ...(ended.result.providerMessageId ? { providerMessageId: ended.result.providerMessageId } : {}),
        };
      }
      if (breaker.failure(this.options.clock(), policy.circuitBreaker))
        this.options.logger.warn(
          { gateway: name, coolDownSeconds: policy.circuitBreaker.coolDownSeconds },
          'dispatch: gateway skipped for a while (circuit open)',
        );
      failures.push(`${name} ${ended.outcome}`);
      if (options.signal?.aborted) break;
    }
    this.options.logger.error(
      { messageId: message.id, channel: message.channel, to: maskDestination(message.to), failures },
      'dispatch: no gateway accepted the message',
    );
    throw DispatchErrors.DISPATCH_FAILED({ detail: `message ${message.id}: ${failures.join('; ')}` });
  }

  /** Stores a delivery receipt; one that arrives before its attempt is recorded waits for it. */
  async recordReceipt(receipt: Receipt): Promise<void> {
    const { gateway, providerMessageId, status, at } = receipt;
    this.options.logger.info({ gateway, providerMessageId, status }, 'dispatch: delivery receipt');
    try {
      if ((await this.options.attempts.applyReceipt(gateway, providerMessageId, status, at)) === 0)
        this.pending.hold(receipt);
    } catch (error) {
      this.options.logger.warn(
        { gateway, providerMessageId, error: describeError(error) },
        'dispatch: receipt not recorded',
      );
    }
  }

  /** Closes every gateway (persistent links, connection pools). */
  async close(): Promise<void> {
    await Promise.allSettled(this.options.gateways.map((g) => g.close?.()));
  }

  private breaker(name: string): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker();
      this.breakers.set(name, breaker);
    }
    return breaker;
  }

  /**
   * The policy for a message: the one named for the login if it covers the channel, else the
   * first stored one that does, else every gateway of the channel in configuration order. A
   * policy none of whose gateways is configured for the channel is passed over.
   */
  private async policyFor(
    channel: Channel,
    name?: string,
  ): Promise<{ policy: LoadBalancingPolicy; members: string[] }> {
    const usable = (policy: LoadBalancingPolicy) =>
      policy.members
        .map((m) => this.byName.get(m.gateway))
        .filter((g): g is Gateway => g?.channels.includes(channel) === true)
        .map((g) => g.name);
    const policies = await this.policies.get();
    if (name !== undefined && !policies.some((p) => p.name === name))
      this.options.logger.warn(
        { policy: name },
        'dispatch: unknown load-balancing policy, using the default',
      );
    const candidates = [...policies.filter((p) => p.name === name), ...policies].filter((p) =>
      p.channels.includes(channel),
    );
    for (const policy of candidates) {
      const members = usable(policy);
      if (members.length > 0) return { policy, members };
      this.options.logger.warn(
        { policy: policy.name, channel },
        'dispatch: policy names no configured gateway of the channel',
      );
    }
    const gateways = this.options.gateways.filter((g) => g.channels.includes(channel)).map((g) => g.name);
    if (gateways.length === 0) throw DispatchErrors.NO_GATEWAY({ detail: `no gateway carries ${channel}` });
    return { policy: defaultPolicy(channel, gateways), members: gateways };
  }

  private async record(
    gateway: Gateway,
    message: OutboundMessage,
    ended: Awaited<ReturnType<typeof attempt>>,
  ) {
    const providerMessageId = ended.outcome === 'sent' ? (ended.result.providerMessageId ?? null) : null;
    const error = ended.outcome === 'sent' ? null : errorSummary(ended.error, message);
    const entry = {
      messageId: message.id,
      gateway: gateway.name,
      channel: message.channel,
      destination: maskDestination(message.to),
      outcome: ended.outcome,
      error,
      latencyMs: Math.round(ended.latencyMs),
      providerMessageId,
    };
    const { logger } = this.options;
    if (ended.outcome === 'sent') logger.info(entry, 'dispatch: message accepted');
    else logger.warn(entry, 'dispatch: attempt failed');
    try {
      await this.options.attempts.record(entry);
      const early = providerMessageId ? this.pending.take(gateway.name, providerMessageId) : undefined;
      if (early)
        await this.options.attempts.applyReceipt(
          early.gateway,
          early.providerMessageId,
          early.status,
          early.at,
        );
    } catch (recordError) {
      logger.warn(
        { messageId: message.id, error: describeError(recordError) },
        'dispatch: attempt not recorded',
      );
    }
  }
}
