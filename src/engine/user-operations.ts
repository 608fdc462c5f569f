import type { Clock } from '../clock.js';
import { hashPassword, type ScryptParams } from '../crypto/password.js';
import { LOCAL_PASSWORD_RULES } from '../directory/local/local-directory.js';
import { TrustErrors } from '../policy/authentication/context/errors.js';
import type { LearnedTrust } from '../policy/authentication/context/learned-trust.js';
import { canonicalNetwork } from '../policy/authentication/context/network-of.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import { normalizeUsername, type User, type UsersRepository } from '../store/repositories/users.js';
import { TokenErrors } from '../tokens/errors.js';
import type { TokenTypes } from '../tokens/registry.js';
import { resynchronise } from '../tokens/resync.js';
import type { EnrolmentResult, ResyncResult } from '../tokens/token-type.js';
import { UserOperationErrors } from './errors.js';
import type { Revocation, Sessions } from './sessions.js';

/** What the operations are built from: the core's parts and the settings they read. */
export interface UserOperationsDeps {
  users: UsersRepository;
  tokens: TokensRepository;
  tokenTypes: TokenTypes;
  learnedTrust: LearnedTrust;
  sessions: Pick<Sessions, 'revokeUser'>;
  clock: Clock;
  /** The issuer authenticator apps show (`mfa.issuer`). */
  issuer: string;
  /** How far a resynchronisation searches (`mfa.resyncWindow`). */
  resyncWindow: number;
  /** How local passwords are hashed. */
  scrypt: ScryptParams;
  /** How learned networks are cut (`policies.learning`), to name one by any address in it. */
  learning: Parameters<typeof canonicalNetwork>[1];
}

/** A new local user as an administrator gives it. */
export interface NewLocalUser {
  username: string;
  password: string;
  displayName?: string | null;
  email?: string | null;
  mobile?: string | null;
  groups?: readonly string[];
}

/** A token an administrator enrols for a user: a type that administrators enrol, and its settings. */
export interface TokenEnrolment {
  type: string;
  /** The type's parameters by name (digits, period, count ...); the type applies its defaults. */
  settings?: Readonly<Record<string, unknown>>;
  /** A given secret (a hardware token's); without it the type generates one, returned once. */
  secret?: Uint8Array;
  serial?: string | null;
  description?: string | null;
}

/** What an administrator may do to one token. */
export type TokenAction = 'remove' | 'unlock' | 'disable' | 'enable';

/** What a change of a user's disabled state did. */
export interface DisableOutcome {
  user: User;
  /** False when the user already was in that state. */
  changed: boolean;
  /** The sessions ended (disabling ends them all, on every server). */
  sessionsEnded: string[];
}

/**
 * The operations administrators run on users and their factors, one function each, shared by
 * the CLI, the users grid's bulk actions and a user's page in the administration site, so that
 * the rules (a disabled user's sessions end, only local users get a password here, only a
 * hardware token moves by serial ...) live in one place. Callers record the change in their
 * own way (the CLI's audit events, the site's `auditChange`); these functions never log secrets.
 */
export class UserOperations {
  constructor(private readonly deps: UserOperationsDeps) {}

  /** The user with this id; USER_NOT_FOUND otherwise. */
  async requireUser(id: string): Promise<User> {
    const user = await this.deps.users.findById(id);
    if (!user) throw UserOperationErrors.USER_NOT_FOUND({ detail: `no user with id "${id}"` });
    return user;
  }

  /** Creates a user of the local directory with a password (hashed; never stored or logged as typed). */
  async createLocal(input: NewLocalUser): Promise<User> {
    const username = normalizeUsername(input.username);
    if (!/^[^\s\p{Cc}]{1,256}$/u.test(username))
      throw UserOperationErrors.USER_NAME_INVALID({ detail: `user name "${input.username}"` });
    checkPassword(input.password);
    return this.deps.users.create({
      username,
      displayName: input.displayName ?? null,
      email: input.email ?? null,
      mobile: input.mobile ?? null,
      groups: [...(input.groups ?? [])],
      passwordHash: await hashPassword(input.password, this.deps.scrypt),
    });
  }

  /**
   * Disables or enables a user. Disabling ends every session of the user on every server (their
   * OIDC clients are told by back channel), also when the user was disabled already.
   */
  async setDisabled(
    user: User,
    disabled: boolean,
    revocation: Omit<Revocation, 'reason'>,
  ): Promise<DisableOutcome> {
    const updated = await this.deps.users.setDisabled(user.username, disabled);
    const sessionsEnded = disabled
      ? await this.deps.sessions.revokeUser(user.id, { reason: 'user_disabled', ...revocation })
      : [];
    return { user: updated, changed: user.disabled !== disabled, sessionsEnded };
  }

  /** Sets a local user's password (a directory user's is the directory's: USER_NOT_LOCAL). */
  async resetPassword(user: User, password: string): Promise<void> {
    if (user.source !== 'local')
      throw UserOperationErrors.USER_NOT_LOCAL({ detail: `${user.username} comes from ${user.source}` });
    checkPassword(password);
    await this.deps.users.setPasswordHash(user.id, await hashPassword(password, this.deps.scrypt));
  }

  /**
   * Enrols a token for a user (active at once: the administrator vouches for it). A generated
   * secret or list of codes is in the result, to be shown once and never stored in the clear.
   */
  async enrol(user: User, enrolment: TokenEnrolment): Promise<EnrolmentResult> {
    const type = this.deps.tokenTypes.get(enrolment.type);
    if (!type?.enrolledBy || !type.enrol) {
      const types = this.deps.tokenTypes.enrollable().map((t) => t.info.type);
      throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: `the type must be one of ${types.join(', ')}` });
    }
    return type.enrol({
      userId: user.id,
      label: user.username,
      issuer: this.deps.issuer,
      settings: enrolment.settings ?? {},
      ...(enrolment.secret ? { secret: enrolment.secret } : {}),
      serial: enrolment.serial ?? null,
      description: enrolment.description ?? null,
    });
  }

  /**
   * Gives the imported hardware token with this serial to a user: a token handed over keeps its
   * secret and counter, loses its failures and lock. Returns the token as it was (its previous owner).
   */
  async assignBySerial(user: User, serial: string): Promise<{ before: Token; token: Token }> {
    const wanted = serial.trim();
    const before = wanted === '' ? undefined : await this.deps.tokens.findBySerial(wanted);
    if (!before) throw UserOperationErrors.TOKEN_SERIAL_NOT_FOUND({ detail: `serial "${serial}"` });
    if (!before.hardware) throw UserOperationErrors.TOKEN_NOT_HARDWARE({ detail: `token ${before.id}` });
    await this.deps.tokens.assign(before.id, user.id);
    return { before, token: (await this.deps.tokens.findById(before.id))! };
  }

  /** A token by id, which must be the user's when a user is given (TOKEN_NOT_OF_USER, TOKEN_NOT_FOUND). */
  async requireToken(id: string, owner?: User): Promise<Token> {
    const token = await this.deps.tokens.findById(id);
    if (owner && token?.userId !== owner.id)
      throw UserOperationErrors.TOKEN_NOT_OF_USER({ detail: `token "${id}" of ${owner.username}` });
    if (!token) throw TokenErrors.TOKEN_NOT_FOUND({ detail: `no token "${id}"` });
    return token;
  }

  /** Resynchronises an HOTP counter or a TOTP clock from two consecutive codes. */
  resync(token: Token, codes: [string, string]): Promise<ResyncResult> {
    return resynchronise(this.deps.tokenTypes, token, codes, this.deps.resyncWindow);
  }

  /** Removes, unlocks, disables or enables a token. */
  async changeToken(token: Token, action: TokenAction): Promise<void> {
    if (action === 'remove') await this.deps.tokens.remove(token.id);
    else if (action === 'unlock') await this.deps.tokens.unlock(token.id);
    else await this.deps.tokens.setStatus(token.id, action === 'disable' ? 'disabled' : 'active');
  }

  /** Unlocks every token of a user that is locked now; returns them as they were. */
  async unlockLocked(user: User): Promise<Token[]> {
    const now = this.deps.clock();
    const locked = (await this.deps.tokens.listByUser(user.id)).filter(
      (token) => token.lockedUntil !== null && token.lockedUntil > now,
    );
    for (const token of locked) await this.deps.tokens.unlock(token.id);
    return locked;
  }

  /**
   * Revokes one learned network of a user (a CIDR or any address in it; TRUST_NETWORK_NOT_FOUND
   * when the user has not learned it) or, without one, all of them. MFA is asked there again.
   */
  async revokeNetwork(user: User, network?: string): Promise<{ network?: string; revoked: number }> {
    if (network === undefined) return { revoked: await this.deps.learnedTrust.revoke(user.id) };
    const canonical = canonicalNetwork(network, this.deps.learning);
    const known = (await this.deps.learnedTrust.list(user.id)).some((e) => e.network === canonical);
    if (!known)
      throw TrustErrors.TRUST_NETWORK_NOT_FOUND({
        detail: `no learned network ${canonical} for ${user.username}`,
      });
    return { network: canonical, revoked: await this.deps.learnedTrust.revoke(user.id, canonical) };
  }
}

function checkPassword(password: string): void {
  if ([...password].length < LOCAL_PASSWORD_RULES.minLength)
    throw UserOperationErrors.USER_PASSWORD_TOO_SHORT({
      detail: `the password must have at least ${LOCAL_PASSWORD_RULES.minLength} characters`,
    });
}
