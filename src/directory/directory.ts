import type { ThrottleRule } from '../store/repositories/throttle.js';
import type { DirectoryUser, User } from '../store/repositories/users.js';

/**
 * Where users and their passwords live. The engine checks first factors only through this
 * interface; Active Directory and the embedded local directory are its plug-ins.
 */
export interface Directory {
  /** Short name for logs and audit events, e.g. "local" or "ad". */
  readonly kind: string;
  /**
   * Checks a user's password and returns the user. Raises a DirectoryErrors code for every
   * failure: INVALID_CREDENTIALS for an unknown user or a wrong password alike.
   */
  authenticate(username: string, password: string): Promise<User>;
  /**
   * The user as the directory has them now (refreshed in Passgate's store), or undefined when the
   * directory no longer has them: a session answered without a password checks that the user may
   * still sign in. Absent: Passgate's store is the directory's truth.
   */
  current?(user: User): Promise<User | undefined>;
  /** Raises DIRECTORY_UNAVAILABLE when the directory cannot be reached (used by /readyz). */
  ping(): Promise<void>;
  /**
   * A stricter limit of password attempts for this user, when the directory has its own (AD's
   * lockout threshold): Passgate must stop before the directory locks the account.
   */
  attemptRule?(username: string): Promise<DirectoryAttemptRule | undefined>;
  /**
   * The user a login name denotes (refreshed in Passgate's store), or undefined when there is none
   * (or more than one): the reset site identifies a user who cannot type a password.
   */
  find(username: string): Promise<User | undefined>;
  /**
   * Sets a new password as an administrator would (no old password), so that the user is not
   * asked to change it again. A password the directory's rules refuse raises PASSWORD_REJECTED,
   * whose {@link passwordRefusal} says which rule.
   */
  resetPassword(username: string, newPassword: string): Promise<void>;
  /** Ends a lockout the directory keeps itself (AD's lockoutTime); the password is unchanged. */
  unlock(username: string): Promise<void>;
  /** The rules a new password of this user must meet, shown before it is typed. */
  passwordRules(username: string): Promise<PasswordRules>;
  /**
   * The users whose password expires between now and `until`, with when (AD: pwdLastSet plus
   * the maximum age of their policy). Absent: the directory's passwords never expire.
   */
  expiringPasswords?(window: { now: number; until: number }): Promise<ExpiringPassword[]>;
  /** Closes the directory's connections (the server stops, a command ends). */
  close?(): Promise<void>;
}

/** A directory's password rules, as the reset site shows them before a new password is typed. */
export interface PasswordRules {
  minLength: number;
  /** Characters of three of four kinds (upper, lower, digits, others), and not the account's name. */
  complexity: boolean;
  /** How many earlier passwords may not be used again (0: none). */
  historyLength: number;
  /** Days a user must wait before changing a new password themselves (0: none). */
  minAgeDays: number;
}

/** A directory's own limit of password attempts. */
export interface DirectoryAttemptRule extends ThrottleRule {
  /**
   * The account the directory counts bad passwords on (AD: its objectGUID), so that attempts
   * under each of its names (alice, alice@example.com, EXAMPLE\alice) count together.
   */
  subject?: string;
}

/** A user whose password expires soon (the store's name), with when. */
export interface ExpiringPassword {
  user: DirectoryUser;
  /** Milliseconds since 1970. */
  expiresAt: number;
}
