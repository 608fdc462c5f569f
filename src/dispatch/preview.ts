import { createLogger } from '../observability/logger.js';
import { choosePolicy } from './choose-policy.js';
import { DispatchErrors } from './errors.js';
import type { Channel, Gateway } from './gateway.js';
import { LoadBalancer } from './load-balancer.js';
import type { LoadBalancingPolicy } from './load-balancing-policy.js';
import { GATEWAY_TYPES, type GatewaySettings } from './registry.js';

/**
 * The configured gateways as the dispatcher would see them, without starting any: nothing
 * connects (an SMPP link binds when its gateway is created) and `send` refuses. For previews
 * such as the policy simulator, which must send nothing.
 */
export function configuredGateways(settings: readonly GatewaySettings[]): Gateway[] {
  return settings.map((entry) => ({
    name: entry.name,
    type: entry.type,
    channels:
      'channels' in entry
        ? entry.channels
        : (GATEWAY_TYPES.find((t) => t.type === entry.type)?.channels ?? []),
    send: () => Promise.reject(DispatchErrors.DISPATCH_FAILED({ detail: 'a preview gateway sends nothing' })),
  }));
}

/** How a message of one channel would be placed. */
export interface RoutePreview {
  /** The Load Balancing Policy that would place it (`(default sms)` when none applies). */
  policy: string;
  strategy: LoadBalancingPolicy['strategy'];
  /** Gateways in the order they would be tried, every breaker assumed closed. */
  order: string[];
  /**
   * False for the weighted strategy: which gateway goes first rotates from message to message
   * (smooth weighted round-robin); `order` is then what a fresh rotation would pick, by weight.
   */
  firstIsFixed: boolean;
}

/**
 * The gateway order for a message, computed the way the dispatcher does (policy choice, load
 * balancing) but on a fresh balancer: no rotation advanced, no breaker touched, nothing sent.
 * Null when no gateway carries the channel.
 */
export function previewRoute(
  policies: readonly LoadBalancingPolicy[],
  gateways: readonly Gateway[],
  channel: Channel,
  name: string | undefined,
): RoutePreview | null {
  try {
    const { policy, members } = choosePolicy(policies, gateways, channel, name, createLogger('silent'));
    return {
      policy: policy.name,
      strategy: policy.strategy,
      order: new LoadBalancer().plan(policy, members, () => true),
      firstIsFixed: policy.strategy === 'priority',
    };
  } catch (error) {
    if (DispatchErrors.is(error, 'NO_GATEWAY')) return null;
    throw error;
  }
}
