import type { Logger } from '../observability/logger.js';
import { DispatchErrors } from './errors.js';
import type { Channel, Gateway } from './gateway.js';
import { defaultPolicy, type LoadBalancingPolicy } from './load-balancing-policy.js';

/** A policy for one message and its gateways that are configured for the channel. */
export interface ChosenPolicy {
  policy: LoadBalancingPolicy;
  members: string[];
}

/**
 * The policy for a message: the one named for the login if it covers the channel, else the first
 * stored one that does, else every gateway of the channel in configuration order. A policy none
 * of whose gateways is configured for the channel is passed over; no gateway at all is NO_GATEWAY.
 */
export function choosePolicy(
  policies: readonly LoadBalancingPolicy[],
  gateways: readonly Gateway[],
  channel: Channel,
  name: string | undefined,
  logger: Logger,
): ChosenPolicy {
  const carriers = gateways.filter((g) => g.channels.includes(channel)).map((g) => g.name);
  if (name !== undefined && !policies.some((p) => p.name === name))
    logger.warn({ policy: name }, 'dispatch: unknown load-balancing policy, using the default');
  const candidates = [...policies.filter((p) => p.name === name), ...policies];
  for (const policy of candidates.filter((p) => p.channels.includes(channel))) {
    const members = policy.members.map((m) => m.gateway).filter((g) => carriers.includes(g));
    if (members.length > 0) return { policy, members };
    logger.warn(
      { policy: policy.name, channel },
      'dispatch: policy names no configured gateway of the channel',
    );
  }
  if (carriers.length === 0) throw DispatchErrors.NO_GATEWAY({ detail: `no gateway carries ${channel}` });
  return { policy: defaultPolicy(channel, carriers), members: carriers };
}
