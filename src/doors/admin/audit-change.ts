import type { AuditRepository } from '../../store/repositories/audit.js';
import type { SignedInAdmin } from './signed-in.js';

/** What every recorded secret reads as in the audit log. */
export const REDACTED = '[redacted]';

/**
 * Field names whose values are never written to the audit log, whatever their type: passwords,
 * seeds, keys, passcodes and the like (matched case-insensitively, anywhere in the name).
 */
const SECRET_FIELDS = [
  'password',
  'secret',
  'seed',
  'privatekey',
  'apikey',
  'passcode',
  'otp',
  'pin',
  'code',
  'token',
  'credential',
  'hash',
  'cookie',
];

/** Names that contain a secret word but name something public (a token's id, a type, a country code, a policy). */
const PUBLIC_FIELDS = new Set([
  'tokenid',
  'tokentype',
  'tokens',
  'countrycode',
  'serial',
  'hotp',
  'totp',
  // A rule's conditions and outcome: names of token types and policies, not secrets.
  'hastoken',
  'lackstoken',
  'passcodepolicy',
]);

/** Whether a field's value must be redacted by its name. */
export function isSecretField(name: string): boolean {
  const key = name.toLowerCase().replace(/[^a-z]/g, '');
  if (PUBLIC_FIELDS.has(key)) return false;
  return SECRET_FIELDS.some((word) => key.includes(word));
}

/**
 * A copy of a value fit for the audit log: fields named like secrets and binary values (a seed
 * as bytes, whatever its field is called) become {@link REDACTED}; objects and arrays are walked.
 */
export function redact(value: unknown): unknown {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return REDACTED;
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, isSecretField(key) ? REDACTED : redact(inner)]),
    );
  }
  return value;
}

/** The redacted fields whose values differ between before and after (a password was changed). */
function changedSecrets(before: unknown, after: unknown): string[] {
  const fields = (value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const [b, a] = [fields(before), fields(after)];
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter(
      (key) =>
        isSecretField(key) && JSON.stringify(redactable(b[key])) !== JSON.stringify(redactable(a[key])),
    )
    .sort();
}

const redactable = (value: unknown) =>
  value instanceof Uint8Array ? Buffer.from(value).toString('base64') : (value ?? null);

/** The user a change is about, when it is about one (the audit grid's "user" column and filter). */
export interface ChangeSubject {
  userId: string;
  username: string;
}

/** Records administrators' changes in the audit log. */
export type AuditChange = (
  admin: SignedInAdmin,
  action: string,
  before: unknown,
  after: unknown,
  address: string | null | undefined,
  subject?: ChangeSubject,
) => Promise<void>;

/**
 * The one way an administration page records a change: the administrator and their role, what
 * was there before and what is there after (secrets redacted by field name and type; a changed
 * secret is named, never shown), the address, and the user it concerns.
 */
export function createAuditChange(audit: AuditRepository): AuditChange {
  return (admin, action, before, after, address, subject) => {
    const secrets = changedSecrets(before, after);
    return audit.record({
      type: action,
      outcome: 'success',
      userId: subject?.userId ?? null,
      username: subject?.username ?? null,
      address: address ?? null,
      details: {
        door: 'admin',
        admin: admin.user.username,
        adminId: admin.user.id,
        role: admin.role,
        before: redact(before) ?? null,
        after: redact(after) ?? null,
        ...(secrets.length > 0 ? { changedSecrets: secrets } : {}),
      },
    });
  };
}
