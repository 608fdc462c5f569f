import {
  LOAD_BALANCING_KIND,
  type LoadBalancingPolicy,
  loadBalancingPolicySchema,
} from '../dispatch/load-balancing-policy.js';
import type { PoliciesRepository } from '../store/repositories/policies.js';
import { PolicyErrors } from './errors.js';

/*
 * The stored Load Balancing Policies, read back for the dispatcher. The policy document and its
 * schema are the dispatcher's (src/dispatch/load-balancing-policy.ts); reading administrator
 * policies from the store and refusing invalid ones is policy management's.
 */

/** Validates a policy document; POLICY_INVALID names the first problem. */
export function parseLoadBalancingPolicy(name: string, document: unknown): LoadBalancingPolicy {
  const result = loadBalancingPolicySchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw PolicyErrors.POLICY_INVALID({
      detail: `load-balancing policy "${name}": ${issue?.path.join('.') || '(document)'}: ${issue?.message ?? 'invalid'}`,
    });
  }
  return { ...result.data, name };
}

/**
 * Every stored policy in position order; a document that no longer validates (edited by hand,
 * older schema) is reported through `onInvalid` and left out rather than stopping delivery.
 */
export async function loadLoadBalancingPolicies(
  repository: PoliciesRepository,
  onInvalid: (error: Error) => void,
): Promise<LoadBalancingPolicy[]> {
  const policies: LoadBalancingPolicy[] = [];
  for (const stored of await repository.list(LOAD_BALANCING_KIND)) {
    try {
      policies.push(parseLoadBalancingPolicy(stored.name, stored.document));
    } catch (error) {
      onInvalid(error as Error);
    }
  }
  return policies;
}
