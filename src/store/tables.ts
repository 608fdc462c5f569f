import type { ColumnType, Generated } from 'kysely';

/** A nullable column that inserts may leave out (added by a later migration). */
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/**
 * Row shapes of every table, shared by SQLite and PostgreSQL. Times are epoch milliseconds
 * (bigint, parsed to number on both backends), booleans are 0/1 integers and structured values
 * are JSON text, so the same queries run unchanged on both.
 */
export interface Tables {
  users: UserRow;
  oidc_payloads: OidcPayloadRow;
  signing_keys: SigningKeyRow;
  throttle: ThrottleRow;
  audit_events: AuditEventRow;
  tokens: TokenRow;
  backup_codes: BackupCodeRow;
  challenges: ChallengeRow;
  passcodes: PasscodeRow;
  policies: PolicyRow;
  delivery_attempts: DeliveryAttemptRow;
  directory_state: DirectoryStateRow;
  trusted_networks: TrustedNetworkRow;
  login_history: LoginHistoryRow;
  saml_request_ids: SamlRequestIdRow;
  login_flows: LoginFlowRow;
  pending_enrolments: PendingEnrolmentRow;
  revoked_sessions: RevokedSessionRow;
  sessions: SessionRow;
  session_applications: SessionApplicationRow;
  stored_secrets: StoredSecretRow;
  seats: SeatRow;
  seat_pools: SeatPoolRow;
  grid_preferences: GridPreferenceRow;
  sign_in_attempts: SignInAttemptRow;
  sign_in_attempt_days: SignInAttemptDayRow;
  sign_in_attempt_country_days: SignInAttemptCountryDayRow;
  sign_in_attempt_country_hours: SignInAttemptCountryHourRow;
  user_search_terms: UserSearchTermRow;
  password_reminders: PasswordReminderRow;
  devices: DeviceRow;
}

/**
 * A word a user is found by in the users grid (migration 0016): a word of the user name, display
 * name, e-mail address or a group, or the mobile's digits; see search-terms.ts.
 */
export interface UserSearchTermRow {
  /** Letters and digits, lower case (PostgreSQL: collation "C", so a prefix is an index range). */
  term: string;
  user_id: string;
}

/** A licence seat one user holds in one pool (migration 0014). */
export interface SeatRow {
  user_id: string;
  /** `mfa` or `reset`. */
  pool: string;
  allocated_at: number;
  /** Who gave it: an administrator, `cli`, or `rule:<name>`. */
  allocated_by: string;
  /** How it was given: `hand`, `rule` or `import`; a sync's rules only ever take back their own. */
  via: string;
}

/** One row per seat pool (migration 0014): the row an allocation locks, and whether its 90 % warning was given. */
export interface SeatPoolRow {
  pool: string;
  /** 1 once the pool crossed 90 % use and the warning was logged; 0 again below. */
  high_use: number;
}

/** The columns an administrator chose for one grid of the administration site (migration 0015). */
export interface GridPreferenceRow {
  /** The administrator's user id. */
  admin_id: string;
  /** The grid's id (`audit`, `users` ...). */
  grid: string;
  /** JSON array of `{ id, visible, size }` in the chosen order. */
  columns: string;
  updated_at: number;
}

/**
 * Attempts per UTC day, country, result, door and application (migration 0024), kept by the
 * attempt writer in each batch's transaction: what the map reads for whole days. Text keys are
 * '' for none.
 */
export interface SignInAttemptDayRow {
  /** The UTC midnight the day starts at (epoch ms). */
  day: number;
  country: string;
  result: string;
  door: string;
  application: string;
  attempts: number;
  /** How many of them were the user's first from that country. */
  first_seen: number;
}

/**
 * Attempts per UTC day, country and result (migration 0028): the day counts without the door and
 * application, for the filters that name neither. Kept with them.
 */
export type SignInAttemptCountryDayRow = Pick<
  SignInAttemptDayRow,
  'day' | 'country' | 'result' | 'attempts' | 'first_seen'
>;

/**
 * Attempts per country, UTC day and hour of day (migration 0031): a country's drill-down by hour
 * over whole days. Kept with the day counts; the country is '' for none.
 */
export interface SignInAttemptCountryHourRow {
  country: string;
  /** The UTC midnight the day starts at (epoch ms). */
  day: number;
  /** The hour of day, UTC (0–23). */
  hour: number;
  attempts: number;
}

/** One sign-in attempt of any door (migration 0017): the monitoring record, written in batches. */
export interface SignInAttemptRow {
  /** Time-ordered id (timeOrderedId). */
  id: string;
  at: number;
  /** The user, when the attempt got as far as knowing them. */
  user_id: string | null;
  /** The user's name, or the name typed when the user is not known. */
  user_name: string;
  door: string;
  application: string | null;
  address: string;
  /** The source network: the address's /24 (IPv4) or /48 (IPv6) prefix; null when not an IP address. */
  network: string | null;
  /** ISO 3166-1 alpha-2 country of the address, or null (private, unknown). */
  country: string | null;
  /** 1 when the user had never signed in from this country before. */
  first_seen: number;
  /** One of ATTEMPT_RESULTS (src/attempts/results.ts). */
  result: string;
  /** The error code behind a failed result (INVALID_CREDENTIALS, MFA_LOCKED ...). */
  reason: string | null;
  /** The Authentication Policy's rule and action, once it decided. */
  rule: string | null;
  action: string | null;
  /** The method used or tried: password, or a token type (totp, sms ...). */
  method: string | null;
}

/** A browser's single sign-on session (migration 0012); the browser holds the id whose hash is `secret_hash`. */
export interface SessionRow {
  /** Public handle (lists, revocation); not the cookie's value. */
  id: string;
  /** SHA-256 (hex) of the random id in the browser's session cookie. */
  secret_hash: string;
  user_id: string;
  /** When the password was proven. */
  auth_time: number;
  /** JSON array of RFC 8176 method references (pwd, otp, mfa ...). */
  amr: string;
  /** The assurance reached (urn:passgate:acr:password or urn:passgate:acr:mfa). */
  acr: string;
  /** When a second factor was last proven; null for a password-only session. */
  mfa_at: number | null;
  address: string;
  country: string | null;
  device: string | null;
  created_at: number;
  last_seen_at: number;
  /** The absolute end (created_at plus `sessions.absoluteHours`). */
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** An application a session signed in to (migration 0012): what single logout needs to reach it. */
export interface SessionApplicationRow {
  session_id: string;
  /** The door (saml, oidc ...). */
  door: string;
  /** SAML SP name or OIDC client id. */
  application: string;
  name_id: string | null;
  name_id_format: string | null;
  session_index: string | null;
  /** The OIDC session id (`sid`) given to the client. */
  sid: string | null;
  first_at: number;
  last_at: number;
}

/** A self-service session ended by signing out, refused until it expires (migration 0008). */
export interface RevokedSessionRow {
  session_id: string;
  expires_at: number;
}

/** Which self-service session added a pending token, and until when (migration 0007). */
export interface PendingEnrolmentRow {
  token_id: string;
  /** The id of the self-service session that started the enrolment. */
  session_id: string;
  expires_at: number;
}

/** A sign-in in progress of any door (migration 0010); see LoginFlowsRepository. */
export interface LoginFlowRow {
  /** The id in `/login/<uid>`. */
  uid: string;
  /** The door that started it (saml, selfservice ...): each door sees its own flows only. */
  door: string;
  /** JSON of what the door keeps about the sign-in (the SAML request, the session it replaces ...). */
  state: string;
  /** SHA-256 (hex) of the browser-binding secret held in the browser's cookie. */
  secret_hash: string;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

/** A secret made once and kept sealed under the master key (migration 0009); see StoredSecrets. */
export interface StoredSecretRow {
  name: string;
  /** The SecretBox envelope, sealed with the context `stored-secret:<name>`. */
  sealed: string;
  created_at: number;
}

/** A SAML AuthnRequest ID already used, refused again until `expires_at`. */
export interface SamlRequestIdRow {
  /** Entity ID of the SP that sent it. */
  sp: string;
  request_id: string;
  expires_at: number;
}

/** Synchronisation state of an external directory (e.g. the highest uSNChanged seen). */
export interface DirectoryStateRow {
  key: string;
  value: string;
  updated_at: number;
}

/** A person who can sign in, from the local directory or synchronised from AD. */
export interface UserRow {
  id: string;
  /** Lower-cased login name; unique. */
  username: string;
  display_name: string | null;
  email: string | null;
  mobile: string | null;
  /** JSON array of group names. */
  groups: string;
  disabled: number;
  /** scrypt PHC string; null for users whose password lives in AD. */
  password_hash: string | null;
  source: string;
  created_at: number;
  updated_at: number;
  /** Stable id in the external directory (AD objectGUID as a UUID); null for local users. */
  external_id: Nullable<string>;
  /** Distinguished name in the external directory. */
  dn: Nullable<string>;
  /** JSON object of mapped directory attributes (UPN, ImmutableID, language ...). */
  attributes: Generated<string>;
  /** Last time a synchronisation or a sign-in refreshed the user from the directory. */
  synced_at: Nullable<number>;
  /** When the user was found deleted or out of the synchronised scope (kept, with their tokens). */
  removed_at: Nullable<number>;
}

/** One oidc-provider model instance (session, grant, code, token ...). */
export interface OidcPayloadRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

/** A signing key, its private half encrypted under the master key. */
export interface SigningKeyRow {
  kid: string;
  purpose: string;
  alg: string;
  private_key: string;
  public_jwk: string;
  created_at: number;
  /** When the key started signing; null while it is a next key (published, not signing yet). */
  activated_at: number | null;
  retired_at: number | null;
  /** After this instant a retired key is no longer published. */
  publish_until: number | null;
}

/** A failure counter for throttling, keyed by what is throttled (user, address ...). */
export interface ThrottleRow {
  key: string;
  failures: number;
  window_start: number;
  blocked_until: number;
  /** The rule of the last charge: its window (ms), limit, and 1 when the window slides. */
  window_ms: Generated<number>;
  max_failures: Generated<number>;
  sliding: Generated<number>;
}

/** What happened, for the audit log: sign-ins, administrative changes. */
export interface AuditEventRow {
  id: string;
  at: number;
  type: string;
  outcome: string;
  reason: string | null;
  username: string | null;
  user_id: string | null;
  address: string | null;
  /** JSON object with event-specific context. */
  details: string;
}

/** A second factor of a user: an OATH token, a passcode channel or a set of backup codes. */
export interface TokenRow {
  id: string;
  user_id: string;
  type: string;
  /** Manufacturer serial of a hardware token; unique. */
  serial: string | null;
  description: string | null;
  hardware: number;
  algorithm: string | null;
  digits: number | null;
  period: number | null;
  /** HOTP: the next counter value expected. */
  counter: number;
  /** TOTP: learned clock drift, in time steps. */
  drift: number;
  /** TOTP: the last accepted time step (nothing at or before it is accepted again). */
  last_step: number | null;
  /** The shared secret, sealed with the master key (SecretBox), context `token-secret:<id>`. */
  secret: string | null;
  /** Passcode channels: a phone number or e-mail address overriding the directory's. */
  destination: string | null;
  /** pending (enrolment not confirmed), active or disabled. */
  status: string;
  /** Consecutive failed verifications. */
  failures: number;
  last_failure_at: number | null;
  locked_until: number | null;
  token_policy: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
}

/** One backup code of a backup-code token, stored as a keyed hash. */
export interface BackupCodeRow {
  token_id: string;
  code_hash: string;
  used_at: number | null;
}

/** A second-factor step in progress: what the user may answer with. */
export interface ChallengeRow {
  id: string;
  user_id: string;
  /** JSON array of offered methods. */
  methods: string;
  /** JSON of the attempt context (address, door, application). */
  context: string;
  /** JSON of per-login policy overrides (passcode and load-balancing policies). */
  overrides: string;
  language: string | null;
  /** Code of the error that stopped the last passcode from being sent, shown on the next page. */
  send_error: string | null;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
}

/** A passcode that was sent, as a keyed hash; single use, short-lived. */
export interface PasscodeRow {
  id: string;
  user_id: string;
  challenge_id: string | null;
  channel: string;
  code_hash: string;
  /** Masked destination, for display and audit. */
  destination: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** Set when a newer passcode replaced this one. */
  revoked_at: number | null;
}

/** An administrator policy document of some kind (token, passcode, load-balancing ...). */
export interface PolicyRow {
  kind: string;
  name: string;
  /** Order among policies of the same kind, where order matters. */
  position: number;
  /** JSON document, validated by the kind's schema. */
  document: string;
  updated_at: number;
}

/** One attempt to deliver a message through one gateway. */
export interface DeliveryAttemptRow {
  id: string;
  message_id: string;
  gateway: string;
  channel: string;
  /** Masked destination. */
  destination: string;
  /** sent, failed, timeout. */
  outcome: string;
  error: string | null;
  latency_ms: number;
  provider_message_id: string | null;
  /** Delivery receipt: delivered, failed ... as reported later by the gateway. */
  receipt_status: string | null;
  receipt_at: number | null;
  created_at: number;
}

/** A network a user completes MFA from: recent successes and, once learned, how long it is trusted. */
export interface TrustedNetworkRow {
  user_id: string;
  /** Canonical CIDR (203.0.113.0/24, 2001:db8:1:2::/64). */
  network: string;
  /** JSON array of the most recent success times (epoch ms, ascending; at most the threshold). */
  successes: string;
  first_success_at: number;
  last_success_at: number;
  trusted_until: number | null;
  /** Set when an administrator revoked the trust; the next success starts counting afresh. */
  revoked_at: number | null;
}

/** A country or device a user has signed in from. */
export interface LoginHistoryRow {
  user_id: string;
  /** country or device. */
  kind: string;
  /** ISO 3166 country code, or a hash of the device id. */
  value: string;
  first_seen_at: number;
  last_seen_at: number;
}

/** A password-expiry reminder sent (migration 0025): the key makes a second sending impossible. */
export interface PasswordReminderRow {
  /** The directory's name in configuration (`default`, or a key of `directories`). */
  directory: string;
  /** The account's stable id there (AD objectGUID as a UUID). */
  external_id: string;
  /** When the password expires (ms): a new password is a new expiry, reminded again. */
  expires_at: number;
  threshold_days: number;
  sent_at: number;
}

/** An ActiveSync device of one user (migration 0026); see src/store/repositories/devices.ts. */
export interface DeviceRow {
  /** The public id (random, unguessable): what the Device Provisioning link carries. */
  id: string;
  user_id: string;
  /** The user's name when the device was first seen (lower case). */
  user_name: string;
  /** The EAS `DeviceId` the device sends. */
  device_id: string;
  /** The EAS `DeviceType` it sends (e.g. `iPhone`, `Android`). */
  device_type: string;
  /** The model, as far as the User-Agent tells it. */
  model: string | null;
  user_agent: string | null;
  /** `pending`, `approved` or `rejected`. */
  state: string;
  first_seen_at: number;
  first_address: string | null;
  /** ISO country code of the first address, when known. */
  first_country: string | null;
  last_seen_at: number;
  last_address: string | null;
  decided_at: number | null;
  /** Who decided: `user:<name>`, `admin:<name>`, `cli` or `allowance`. */
  decided_by: string | null;
  /** When the owner was told of the held device (claimed once). */
  notified_at: number | null;
}
