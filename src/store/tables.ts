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
