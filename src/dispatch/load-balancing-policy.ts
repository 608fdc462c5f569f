import { z } from 'zod';
import { channelSchema } from '../config/channels.js';

/** Kind under which load-balancing policies are stored in the policies table. */
export const LOAD_BALANCING_KIND = 'load-balancing';

/** One gateway of a policy and its rank. */
const member = z.strictObject({
  gateway: z.string().min(1).describe('Name of a gateway in `dispatch.gateways`.'),
  priority: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('priority strategy: lower is tried first; equal priorities keep their listed order.'),
  weight: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(1)
    .describe('weighted strategy: share of the messages this gateway gets first.'),
});

/**
 * A Load Balancing Policy: which gateways carry a channel's messages and in what order. The
 * `priority` strategy fails over in priority order; `weighted` spreads first attempts by
 * smooth weighted round-robin (as nginx does), then fails over to the others by weight.
 */
export const loadBalancingPolicySchema = z
  .strictObject({
    strategy: z
      .enum(['priority', 'weighted'])
      .default('priority')
      .describe('How the first gateway is chosen.'),
    channels: z
      .array(channelSchema)
      .min(1)
      .describe('Channels whose messages this policy places (when no policy is named for a login).'),
    members: z.array(member).min(1).describe('The gateways, each at most once.'),
    attemptTimeoutSeconds: z
      .number()
      .positive()
      .max(120)
      .default(5)
      .describe('How long one gateway may take to accept a message before the next one gets it.'),
    circuitBreaker: z
      .strictObject({
        failures: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe('Consecutive failures after which a gateway is skipped.'),
        coolDownSeconds: z
          .number()
          .positive()
          .default(30)
          .describe('How long a tripped gateway is skipped; then one message tries it again.'),
      })
      .prefault({})
      .describe('Skips a failing gateway for a while instead of waiting for it on every message.'),
  })
  .refine((p) => new Set(p.members.map((m) => m.gateway)).size === p.members.length, {
    message: 'a gateway is listed twice',
    path: ['members'],
  });

/** A validated load-balancing policy document. */
export type LoadBalancingDocument = z.output<typeof loadBalancingPolicySchema>;

/** A named, validated load-balancing policy. */
export interface LoadBalancingPolicy extends LoadBalancingDocument {
  name: string;
}

/** The policy used when none applies: every gateway of the channel, in configuration order. */
export function defaultPolicy(channel: string, gateways: readonly string[]): LoadBalancingPolicy {
  return {
    ...loadBalancingPolicySchema.parse({
      channels: [channel],
      members: gateways.map((gateway) => ({ gateway })),
    }),
    name: `(default ${channel})`,
  };
}
