import type { DecisionSummary } from '../../attempts/attempt.js';

/** Where a sign-in attempt comes from and what it is for; doors fill this in. */
export interface AttemptContext {
  /** Client address as established by the door (trusted proxies already resolved). */
  address: string;
  /** The door: "oidc", "saml", "radius" ... */
  door: string;
  /** Application identifier at that door (client_id, SP entity id ...). */
  application?: string;
  /** The door's own flow the attempt belongs to (an OIDC interaction, a RADIUS State ...). */
  flow?: string;
  /** The Authentication Policy's decision, once made: a second step carries it (recorded with its attempts). */
  decision?: DecisionSummary;
}

/** One way the user may answer a challenge. */
export interface MethodOffer {
  tokenId: string;
  type: string;
  source: 'device' | 'sent' | 'list';
  /** What the user recognises it by: a masked phone number or address, a token's description or serial (or ''). */
  label: string;
}

/** Policy overrides for one sign-in (from contextual rules). */
export interface ChallengeOverrides {
  passcodePolicy?: string;
  loadBalancingPolicy?: string;
}
