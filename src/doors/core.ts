import type { AttemptWriter } from '../attempts/writer.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { DeviceApprovals } from '../devices/approvals.js';
import type { AdSync } from '../directory/ad/sync.js';
import type { Directory } from '../directory/directory.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Challenges } from '../engine/challenges.js';
import type { FirstFactor } from '../engine/first-factor.js';
import type { PasscodeSender } from '../engine/passcode-sender.js';
import type { SecondFactor } from '../engine/second-factor.js';
import type { Sessions } from '../engine/sessions.js';
import type { SingleSignOn } from '../engine/single-sign-on.js';
import type { Throttle } from '../engine/throttle.js';
import type { UserOperations } from '../engine/user-operations.js';
import type { VouchedFirstFactor } from '../engine/vouched-first-factor.js';
import type { CountryLookup } from '../geo/country-lookup.js';
import type { SigningKeys } from '../keys/signing-keys.js';
import type { StoredSecrets } from '../keys/stored-secrets.js';
import type { Seats } from '../licences/seats.js';
import type { AuthenticationPolicy } from '../policy/authentication/authentication-policy.js';
import type { LearnedTrust } from '../policy/authentication/context/learned-trust.js';
import type { LoginHistory } from '../policy/authentication/context/login-history.js';
import type { Database } from '../store/database.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import type { DirectoryUsersRepository } from '../store/repositories/directory-users.js';
import type { PasscodesRepository } from '../store/repositories/passcodes.js';
import type { PoliciesRepository } from '../store/repositories/policies.js';
import type { TokensRepository } from '../store/repositories/tokens.js';
import type { UsersRepository } from '../store/repositories/users.js';
import type { Repositories } from '../store/repository-set.js';
import type { TokenTypes } from '../tokens/registry.js';

/**
 * What the server builds once from the configuration and shares: the store (every repository),
 * keys, the directory and the storage-backed parts of the engine. The CLI uses it alone; the
 * server adds the {@link Engine} and hands both to every door.
 */
export interface Core<C extends Config = Config> {
  /** The validated configuration (the server's carries the plug-ins' exact types). */
  config: C;
  database: Database;
  box: SecretBox;
  clock: Clock;
  /** Every repository, built once; the fields below of the same types are shortcuts to them. */
  repositories: Repositories;
  users: UsersRepository;
  /** Directory users as synchronisation stores them (batches, removal marks, external ids). */
  directoryUsers: DirectoryUsersRepository;
  audit: AuditRepository;
  keys: SigningKeys;
  /** Named secrets sealed in the store (the SAML pairwise-NameID key). */
  secrets: StoredSecrets;
  directory: Directory;
  /** Every directory by name (`default` first, then `directories` in order): a reset site uses its own. */
  directories: ReadonlyMap<string, Directory>;
  /** Synchronisation of users from Active Directory, when that is the directory. */
  adSync?: AdSync;
  /** The synchronisation of every AD directory by name (the default's is also `adSync`). */
  adSyncs: ReadonlyMap<string, AdSync>;
  tokens: TokensRepository;
  tokenTypes: TokenTypes;
  passcodes: PasscodesRepository;
  /** Keyed hashes of sent passcodes. */
  passcodeHasher: CodeHasher;
  policies: PoliciesRepository;
  throttle: Throttle;
  secondFactor: SecondFactor;
  /** Country of a source address, for policies and the audit log. */
  geo: CountryLookup;
  /** Self-learned trusted networks per user (`policies.learning`). */
  learnedTrust: LearnedTrust;
  /** Countries and devices each user has signed in from. */
  loginHistory: LoginHistory;
  /** Licence seats under the verified licence (the engine hands the same object to the doors). */
  seats: Seats;
  /** The one writer of sign-in attempts (monitoring): the engine records every attempt of every door through it. */
  attempts: AttemptWriter;
  /** ActiveSync devices: admission at the door, approval on the sites, with audit and attempts. */
  devices: DeviceApprovals;
}

/**
 * The second-factor and sign-in engine, built once by the server over the core and shared by
 * every door: doors translate their protocol into calls of these, and never decide themselves.
 */
export interface Engine {
  /** Passcode delivery: gateways, load balancing, failover, delivery records. */
  dispatcher: Dispatcher;
  /** Draws, words and sends passcodes under the Passcode Policy and `mfa.passcodeLimit`. */
  sender: PasscodeSender;
  /** Second-factor steps of a sign-in: offers, challenges, verification. */
  challenges: Challenges;
  /** Password checks against the directory, throttled. */
  firstFactor: FirstFactor;
  /** The first factor of a client that checked the password itself (RADIUS second-factor-only). */
  vouchedFirstFactor: VouchedFirstFactor;
  /** The Authentication Policy: what a login in its context needs. */
  policy: AuthenticationPolicy;
  /** The single sign-on sessions every door shares (one per browser sign-in). */
  sessions: Sessions;
  /** Whether a browser's session answers an application, with every rule applied again. */
  sso: SingleSignOn;
  /** Licence seats (MFA, password reset): who holds one, allocation under the licence. */
  seats: Seats;
  /** What administrators do to users and their factors (the CLI and the administration site alike). */
  userOperations: UserOperations;
}
