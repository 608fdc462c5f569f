import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import type { User } from '../store/repositories/users.js';
import { enrolOath, otpauthUri } from '../tokens/enrol.js';
import type { TokenTypes } from '../tokens/registry.js';
import { toBase32 } from '../tokens/secrets.js';
import { SelfServiceErrors } from './errors.js';
import type { EnrolProfile } from './profiles.js';

/** What the confirmation page shows: the token, its otpauth:// URI and the secret for typing in. */
export interface PendingEnrolment {
  token: Token;
  otpauthUri: string;
  secretBase32: string;
}

/** Token types a user may enrol and remove on the self-service site. */
export const SELF_SERVICE_TYPES: ReadonlySet<string> = new Set(['totp', 'hotp']);

/**
 * Software-token enrolment: the server draws the token id and secret and stores the token
 * `pending` (never offered at sign-in); it becomes `active` only once the user typed a code the
 * new authenticator computed, which proves the secret reached it.
 */
export class SoftwareEnrolment {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly types: TokenTypes,
    private readonly issuer: string,
  ) {}

  /** Creates the pending token of a profile. */
  async start(user: User, profile: EnrolProfile): Promise<PendingEnrolment> {
    const result = await enrolOath(
      this.tokens,
      {
        userId: user.id,
        label: user.username,
        type: profile.type,
        algorithm: profile.algorithm,
        digits: profile.digits,
        period: profile.period,
        description: profile.displayName ?? null,
        status: 'pending',
        tokenPolicy: profile.stored ? profile.name : null,
      },
      this.issuer,
    );
    return { token: result.token, otpauthUri: result.otpauthUri!, secretBase32: result.secretBase32! };
  }

  /** A pending token of the user, to show again (a wrong code, a reload). */
  async pending(user: User, tokenId: string): Promise<PendingEnrolment> {
    const token = await this.ownToken(user, tokenId);
    if (token.status !== 'pending')
      throw SelfServiceErrors.TOKEN_NOT_YOURS({ detail: `${tokenId} is not pending` });
    const secretBase32 = toBase32(await this.tokens.secretOf(token.id));
    return { token, secretBase32, otpauthUri: otpauthUri(token, secretBase32, this.issuer, user.username) };
  }

  /** Checks a code of the new authenticator and activates the token; ENROL_INVALID_CODE otherwise. */
  async confirm(user: User, tokenId: string, code: string): Promise<Token> {
    const { token } = await this.pending(user, tokenId);
    const type = this.types.get(token.type);
    const valid = type ? await type.verify(token, code.replace(/\s+/g, ''), {}) : false;
    if (!valid) throw SelfServiceErrors.ENROL_INVALID_CODE({ detail: `confirmation of ${tokenId} failed` });
    await this.tokens.setStatus(token.id, 'active');
    return { ...token, status: 'active' };
  }

  /** One of the user's own self-service tokens, or TOKEN_NOT_YOURS. */
  async ownToken(user: User, tokenId: string): Promise<Token> {
    const token = await this.tokens.findById(tokenId);
    if (!token || token.userId !== user.id || !SELF_SERVICE_TYPES.has(token.type)) {
      throw SelfServiceErrors.TOKEN_NOT_YOURS({ detail: `token ${tokenId} of user ${user.id}` });
    }
    return token;
  }
}
