import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { CommitGroup } from './commit-group.js';
import type { Database } from './database.js';
import { AttemptStatisticsRepository } from './repositories/attempt-statistics.js';
import { AuditRepository } from './repositories/audit.js';
import { BackupCodesRepository } from './repositories/backup-codes.js';
import { ChallengesRepository } from './repositories/challenges.js';
import { DeliveryAttemptsRepository } from './repositories/delivery-attempts.js';
import { DevicesRepository } from './repositories/devices.js';
import { DirectoryStateRepository } from './repositories/directory-state.js';
import { DirectoryUsersRepository } from './repositories/directory-users.js';
import { GridPreferencesRepository } from './repositories/grid-preferences.js';
import { LoginFlowsRepository } from './repositories/login-flows.js';
import { LoginHistoryRepository } from './repositories/login-history.js';
import { PasscodesRepository } from './repositories/passcodes.js';
import { PasswordRemindersRepository } from './repositories/password-reminders.js';
import { PendingEnrolmentsRepository } from './repositories/pending-enrolments.js';
import { PoliciesRepository } from './repositories/policies.js';
import { RevokedSessionsRepository } from './repositories/revoked-sessions.js';
import { SamlRequestIdsRepository } from './repositories/saml-request-ids.js';
import { SeatsRepository } from './repositories/seats.js';
import { SessionsRepository } from './repositories/sessions.js';
import { SignInAttemptsRepository } from './repositories/sign-in-attempts.js';
import { ThrottleRepository } from './repositories/throttle.js';
import { TokensRepository } from './repositories/tokens.js';
import { TrustedNetworksRepository } from './repositories/trusted-networks.js';
import { UserSearchRepository } from './repositories/user-search.js';
import { UsersRepository } from './repositories/users.js';

/**
 * Every repository of the store, built once over one database and shared by the engine, the
 * doors and the CLI: a table family has one object, so no module builds a second one of its own.
 */
export interface Repositories {
  users: UsersRepository;
  /** The users grid: search, filters, sort and paging over every user. */
  userSearch: UserSearchRepository;
  /** Directory users as synchronisation stores them (batches, removal marks, external ids). */
  directoryUsers: DirectoryUsersRepository;
  directoryState: DirectoryStateRepository;
  audit: AuditRepository;
  tokens: TokensRepository;
  backupCodes: BackupCodesRepository;
  passcodes: PasscodesRepository;
  policies: PoliciesRepository;
  throttle: ThrottleRepository;
  challenges: ChallengesRepository;
  deliveryAttempts: DeliveryAttemptsRepository;
  trustedNetworks: TrustedNetworksRepository;
  loginHistory: LoginHistoryRepository;
  pendingEnrolments: PendingEnrolmentsRepository;
  revokedSessions: RevokedSessionsRepository;
  /** Sign-ins in progress of every door (the hosted login's BrowserBinding). */
  loginFlows: LoginFlowsRepository;
  samlRequestIds: SamlRequestIdsRepository;
  /** Single sign-on sessions of every door and the applications they signed in to. */
  sessions: SessionsRepository;
  /** Licence seats of the MFA and password-reset pools. */
  seats: SeatsRepository;
  /** The columns each administrator chose for each grid of the administration site. */
  gridPreferences: GridPreferencesRepository;
  /** Password-expiry reminders sent (claimed before sending: never twice). */
  passwordReminders: PasswordRemindersRepository;
  /** Every sign-in attempt of every door (monitoring), written in batches by the attempt writer. */
  signInAttempts: SignInAttemptsRepository;
  /** Monitoring's counts over the sign-in attempts (the map, the drill-down, the chart). */
  attemptStatistics: AttemptStatisticsRepository;
  /** ActiveSync devices of every user, held until approved (DeviceApprovals in src/devices/ changes them). */
  devices: DevicesRepository;
  /** The writes of the hot paths gathered by turn of the event loop into one transaction (see CommitGroup). */
  commits: CommitGroup;
}

/** Builds every repository over an open (migrated) database; the token seeds are sealed with `box`. */
export function createRepositories(database: Database, box: SecretBox, clock: Clock): Repositories {
  const { db } = database;
  const commits = new CommitGroup(db);
  return {
    commits,
    users: new UsersRepository(db, clock),
    userSearch: new UserSearchRepository(db, clock),
    directoryUsers: new DirectoryUsersRepository(db, clock),
    directoryState: new DirectoryStateRepository(db, clock),
    audit: new AuditRepository(db, clock),
    tokens: new TokensRepository(db, box, clock, commits),
    backupCodes: new BackupCodesRepository(db, clock),
    passcodes: new PasscodesRepository(db, clock),
    policies: new PoliciesRepository(db, clock),
    throttle: new ThrottleRepository(db),
    challenges: new ChallengesRepository(db, clock),
    deliveryAttempts: new DeliveryAttemptsRepository(db, clock),
    trustedNetworks: new TrustedNetworksRepository(db),
    loginHistory: new LoginHistoryRepository(db),
    pendingEnrolments: new PendingEnrolmentsRepository(db),
    revokedSessions: new RevokedSessionsRepository(db),
    loginFlows: new LoginFlowsRepository(db),
    samlRequestIds: new SamlRequestIdsRepository(db, commits),
    sessions: new SessionsRepository(db),
    seats: new SeatsRepository(db),
    gridPreferences: new GridPreferencesRepository(db, clock),
    passwordReminders: new PasswordRemindersRepository(db),
    signInAttempts: new SignInAttemptsRepository(db),
    attemptStatistics: new AttemptStatisticsRepository(db),
    devices: new DevicesRepository(db),
  };
}
