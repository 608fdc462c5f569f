import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { DeliveryAttemptsRepository } from '../store/repositories/delivery-attempts.js';
import { type AttemptOutcome, attempt } from './attempt.js';
import { choosePolicy } from './choose-policy.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { DeliveryRecord } from './delivery-record.js';
import { DispatchErrors } from './errors.js';
import type { Channel, Gateway, OutboundMessage, Receipt } from './gateway.js';
import { LoadBalancer } from './load-balancer.js';
import type { LoadBalancingPolicy } from './load-balancing-policy.js';
import { maskDestination } from './mask.js';
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
  private readonly record: DeliveryRecord;

  constructor(private readonly options: DispatcherOptions) {
    this.byName = new Map(options.gateways.map((g) => [g.name, g]));
    this.policies = new PolicyCache(
      options.loadPolicies,
      options.clock,
      options.policyCacheMs ?? 10_000,
      options.logger,
    );
    this.record = new DeliveryRecord(options.attempts, options.logger, options.clock);
  }

  /** The gateway of that name, if configured. */
  gateway(name: string): Gateway | undefined {
    return this.byName.get(name);
  }

  /** Every configured gateway, in configuration order. */
  gateways(): readonly Gateway[] {
    return this.options.gateways;
  }

  /**
   * The state of a gateway's circuit breaker in this server process (each worker keeps its own:
   * it opens on the failures that worker saw).
   */
  breakerState(name: string): 'closed' | 'open' | 'half-open' {
    return this.breaker(name).state(this.options.clock());
  }

  /**
   * Sends one message through the named gateway only, once (an administrator's test send): no
   * policy, no failover, no breaker change; the attempt is recorded like any other.
   */
  async sendThrough(name: string, message: OutboundMessage, timeoutMs: number): Promise<AttemptOutcome> {
    const gateway = this.byName.get(name);
    if (!gateway) throw DispatchErrors.NO_GATEWAY({ detail: `no gateway named ${name}` });
    const ended = await attempt(gateway, message, timeoutMs);
    await this.record.attempt(name, message, ended);
    return ended;
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
    const { policy, members } = choosePolicy(
      await this.policies.get(),
      this.options.gateways,
      message.channel,
      options.policy,
      this.options.logger,
    );
    const order = this.balancer.plan(policy, members, (name) =>
      this.breaker(name).available(this.options.clock()),
    );
    const failures: string[] = [];
    for (const name of order) {
      const gateway = this.byName.get(name) as Gateway;
      const breaker = this.breaker(name);
      breaker.begin(this.options.clock());
      const ended = await attempt(gateway, message, policy.attemptTimeoutSeconds * 1000, options.signal);
      await this.record.attempt(name, message, ended);
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
  recordReceipt(receipt: Receipt): Promise<void> {
    return this.record.receipt(receipt);
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
}
