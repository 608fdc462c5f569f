import type { Clock } from '../../clock.js';
import type { PendingEnrolmentsRepository } from '../../store/repositories/pending-enrolments.js';
import type { PoliciesRepository } from '../../store/repositories/policies.js';
import type { Token, TokensRepository } from '../../store/repositories/tokens.js';
import type { User } from '../../store/repositories/users.js';
import type { TokenTypes } from '../../tokens/registry.js';
import { newTokenId } from '../../tokens/secrets.js';
import type { TokenType } from '../../tokens/token-type.js';
import { SelfServiceErrors } from './errors.js';
import { type EnrolProfile, enrolProfiles } from './profiles.js';

/** What the confirmation page shows: the token, its otpauth:// URI and the secret for typing in. */
export interface PendingEnrolment {
  token: Token;
  otpauthUri: string;
  secretBase32: string;
}

/** Where pending tokens are kept, and for how long. */
export interface SoftwareEnrolmentDeps {
  tokens: TokensRepository;
  enrolments: PendingEnrolmentsRepository;
  types: TokenTypes;
  issuer: string;
  clock: Clock;
  /** `selfservice.pendingEnrolmentMinutes`. */
  pendingMinutes: number;
}

/**
 * Software-token enrolment, of the token types users may enrol (`enrolledBy: 'user'`): the server draws the token id and secret and stores the token
 * `pending` (never offered at sign-in); it becomes `active` only once the user typed a code the
 * new authenticator computed, which proves the secret reached it. A pending token belongs to the
 * session that started it: another session (a password-only one, say) never sees its secret,
 * and after `pendingMinutes` nobody does.
 */
export class SoftwareEnrolment {
  constructor(private readonly deps: SoftwareEnrolmentDeps) {}

  /** The profiles users may pick (the Token Policies with `selfEnrol`, or the built-in one). */
  profiles(policies: PoliciesRepository): Promise<EnrolProfile[]> {
    return enrolProfiles(policies, this.deps.types);
  }

  /** Whether users enrol and remove tokens of this type here. */
  isSelfService(type: string): boolean {
    return this.typeOf(type) !== undefined;
  }

  /** Creates the pending token of a profile, for the session `sessionId`. */
  async start(user: User, profile: EnrolProfile, sessionId: string): Promise<PendingEnrolment> {
    const { enrolments, clock, pendingMinutes, issuer } = this.deps;
    const type = this.typeOf(profile.type);
    if (!type?.enrol)
      throw SelfServiceErrors.ENROL_NO_PROFILE({ detail: `${profile.type} is not self-service` });
    const id = newTokenId(profile.type);
    // The enrolment first: a pending token without an open enrolment is pruned as expired.
    await enrolments.open({ tokenId: id, sessionId, expiresAt: clock() + pendingMinutes * 60_000 });
    const result = await type.enrol({
      id,
      userId: user.id,
      label: user.username,
      issuer,
      settings: profile.settings,
      description: profile.displayName ?? null,
      status: 'pending',
      tokenPolicy: profile.stored ? profile.name : null,
    });
    return { token: result.token, otpauthUri: result.otpauthUri!, secretBase32: result.secretBase32! };
  }

  /**
   * A pending token of the user that this session started and may still confirm, to show again
   * (a wrong code, a reload); ENROL_EXPIRED when it expired or belongs to another session.
   */
  async pending(user: User, tokenId: string, sessionId: string): Promise<PendingEnrolment> {
    const token = await this.ownToken(user, tokenId);
    if (token.status !== 'pending')
      throw SelfServiceErrors.TOKEN_NOT_YOURS({ detail: `${tokenId} is not pending` });
    if (!(await this.openIn([token], sessionId)).has(token.id))
      throw SelfServiceErrors.ENROL_EXPIRED({ detail: `${tokenId}: expired or started in another session` });
    const provisioning = await this.typeOf(token.type)!.provisioning!(token, user.username, this.deps.issuer);
    return { token, secretBase32: provisioning.secretBase32, otpauthUri: provisioning.uri };
  }

  /** Checks a code of the new authenticator and activates the token; ENROL_INVALID_CODE otherwise. */
  async confirm(user: User, tokenId: string, sessionId: string, code: string): Promise<Token> {
    const { token } = await this.pending(user, tokenId, sessionId);
    const type = this.deps.types.get(token.type);
    const valid = type ? await type.verify(token, code.replace(/\s+/g, ''), {}) : false;
    if (!valid) throw SelfServiceErrors.ENROL_INVALID_CODE({ detail: `confirmation of ${tokenId} failed` });
    await this.deps.tokens.setStatus(token.id, 'active');
    await this.deps.enrolments.close(token.id);
    return { ...token, status: 'active' };
  }

  /** The ids of the pending tokens among `tokens` that the session `sessionId` may still confirm. */
  async openIn(tokens: readonly Token[], sessionId: string): Promise<Set<string>> {
    const pending = tokens.filter((t) => t.status === 'pending').map((t) => t.id);
    const open = await this.deps.enrolments.findOpen(pending, this.deps.clock());
    return new Set(open.filter((e) => e.sessionId === sessionId).map((e) => e.tokenId));
  }

  /** Removes the unconfirmed tokens whose enrolment expired (the server's clean-up job). */
  prune(now: number): Promise<number> {
    return this.deps.enrolments.prune(now);
  }

  /** One of the user's own self-service tokens, or TOKEN_NOT_YOURS. */
  async ownToken(user: User, tokenId: string): Promise<Token> {
    const token = await this.deps.tokens.findById(tokenId);
    if (!token || token.userId !== user.id || !this.isSelfService(token.type)) {
      throw SelfServiceErrors.TOKEN_NOT_YOURS({ detail: `token ${tokenId} of user ${user.id}` });
    }
    return token;
  }

  /** A token type users may enrol, by name. */
  private typeOf(name: string): TokenType | undefined {
    const type = this.deps.types.get(name);
    return type?.enrolledBy === 'user' ? type : undefined;
  }
}
