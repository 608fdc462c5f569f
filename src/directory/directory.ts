import type { ThrottleRule } from '../store/repositories/throttle.js';
import type { User } from '../store/repositories/users.js';

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
  /** Closes the directory's connections (the server stops, a command ends). */
  close?(): Promise<void>;
}

/** A directory's own limit of password attempts. */
export interface DirectoryAttemptRule extends ThrottleRule {
  /**
   * The account the directory counts bad passwords on (AD: its objectGUID), so that attempts
   * under each of its names (alice, alice@example.com, EXAMPLE\alice) count together.
   */
  subject?: string;
}
