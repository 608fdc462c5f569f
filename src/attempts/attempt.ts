import type { AttemptResult } from './results.js';

/** Where an attempt came from, as the door established it (the engine's AttemptContext has these). */
export interface AttemptOrigin {
  address: string;
  door: string;
  application?: string;
}

/** What the Authentication Policy decided, as far as an attempt records it (a Decision has these). */
export interface DecisionSummary {
  rule: string;
  action: string;
  facts: { country: string | null; newCountry: boolean };
}

/** One sign-in attempt as the engine reports it to the writer. */
export interface SignInAttempt {
  origin: AttemptOrigin;
  /** The user, when known; else the name typed. */
  user: { id: string; name: string } | { id?: undefined; name: string };
  result: AttemptResult;
  /** The error code behind a failed result. */
  reason?: string;
  /** The policy's decision, once made: rule, action, country and whether it is new for the user. */
  decision?: DecisionSummary;
  /** The method used or tried (password, or a token type). */
  method?: string;
}
