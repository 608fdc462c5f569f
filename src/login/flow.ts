import type { Request, Response } from 'express';
import type { Decision } from '../policy/authentication/decision.js';
import type { User } from '../store/repositories/users.js';
import type { WriteBatch } from '../store/write-batch.js';

/** How a login ended well: who, and how they proved it. */
export interface FlowResult {
  userId: string;
  /**
   * The user as the sign-in read them in this request, when it did (the hosted login's password
   * and second-factor steps): a door answering from them need not read them again.
   */
  user?: User;
  /** RFC 8176 authentication methods: pwd, otp, sms, tel, mfa ... */
  amr: string[];
  /** A second factor was passed in this login (or counted from the session). */
  mfa: boolean;
  /**
   * What the Authentication Policy decided for this login: a door that grants more than a
   * sign-in (the self-service site adding a factor) must know whether a rule or learned trust
   * let the password alone through. The hosted login always sets it.
   */
  decision?: Pick<Decision, 'action' | 'rule'>;
  /** The second factor's method type (totp, sms ...), when one was passed. */
  method?: string;
  /**
   * The single sign-on session the sign-in belongs to: its id (to record the application in it)
   * and when its password was proven (OIDC auth_time).
   */
  session?: { id: string; authTime: number };
}

/**
 * One sign-in a door started and the hosted login pages (`/login/:uid`) carry out: the door
 * says who asks (door, application) and what it wants (a step-up, a user whose password the
 * browser's session already proved), the pages run the password step and the policy's decision,
 * and hand the result back to the door, which answers its application in its own protocol.
 */
export interface LoginFlow {
  /** The id in `/login/:uid`. */
  uid: string;
  /** The door: oidc, saml ... (the policy's `doors` condition). */
  door: string;
  /** The application at that door: OIDC client id, SAML SP name (the policy's `applications`). */
  application: string;
  /** What users see: "Sign in to continue to <applicationName>". */
  applicationName: string;
  /** A user name to prefill. */
  loginHint?: string;
  /** Why a second factor is wanted whatever the rules say (acr_values, ForceAuthn, require_mfa ...). */
  stepUp?: string;
  /**
   * The user whose password the browser's session already proved, when the door sends the
   * browser back only for more (a step-up): the pages then skip the password step.
   */
  sessionUserId?: string;
  /**
   * Whether the browser's single sign-on session may answer this flow without a page (the SAML
   * and OIDC doors' applications); absent, the pages ask as if there were none (the self-service
   * site, which guards changes to the user's factors, asks again).
   */
  sessionReuse?: boolean;
  /** The application demands the password now, whatever the session (SAML ForceAuthn, OIDC prompt=login). */
  fresh?: boolean;
  /** The password must have been proven within this many ms (OIDC max_age). */
  maxAgeMs?: number;
  /**
   * False when the flow only verifies who the user is and must not sign the browser in (the reset
   * site: a second factor alone proves no password): no single sign-on session starts or is proven.
   */
  startsSession?: boolean;
  /**
   * The look of the site that sent the browser here (a reset site's title, logo and colours), so
   * that the pages of this flow look like the rest of its journey; absent, Passgate's own.
   */
  branding?: FlowBranding;
  /**
   * Ends the flow: the door answers its application (a redirect, an auto-posted form ...). At
   * the end of a sign-in (not when the browser's session answers) the door is given the
   * sign-in's writes not stored yet (`pending`): it may add its own, and must commit them before
   * it answers (committing first is the least a door does), one transaction for the sign-in.
   */
  finish(req: Request, res: Response, result: FlowResult, pending?: PendingSignInWrites): Promise<void>;
  /**
   * Whether the door answers a policy denial to its application (`cancel` with reason `denied`,
   * e.g. a SAML RequestDenied) instead of the pages showing Passgate's denial page.
   */
  answersDenial?: boolean;
  /** Ends the flow without a user: the sign-in was cancelled (default) or denied by the policy. */
  cancel(req: Request, res: Response, reason?: CancelReason): Promise<void>;
}

/** A site's look on the hosted login's pages: its name, its logo's address and its style sheet's. */
export interface FlowBranding {
  title: string;
  /** The logo's URL (the site's own path or an absolute address), or null for none. */
  logo: string | null;
  /** The site's style sheet (its colours), after Passgate's. */
  stylesheet: string;
}

/** A finished sign-in's writes (history, audit, its session), not stored yet. */
export interface PendingSignInWrites {
  /** The writes so far; the door's own may join them. */
  batch: WriteBatch;
  /** Stores the batch, then gives the browser its session; once (a later call answers as the first). */
  commit(): Promise<void>;
}

/** Why a flow ended without a user. */
export type CancelReason = 'cancelled' | 'denied';

/**
 * Where a door's flows are found: the flow of `/login/:uid` for this browser, or undefined when
 * the uid is not one of this door's (or not this browser's).
 */
export interface LoginFlowSource {
  load(req: Request, res: Response, uid: string): Promise<LoginFlow | undefined>;
}
