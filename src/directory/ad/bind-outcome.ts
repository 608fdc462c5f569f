import { DirectoryErrors } from '../errors.js';

/**
 * AD explains a refused bind with a sub-code in the diagnostic message ("data 52e"). Each one
 * maps to its own reason for the audit log; most show users the generic message.
 */
const SUB_CODES: Record<string, keyof typeof DIRECTORY_REASONS> = {
  '52e': 'INVALID_CREDENTIALS',
  '525': 'INVALID_CREDENTIALS', // no such user (should not happen after our own lookup)
  '775': 'ACCOUNT_LOCKED',
  '773': 'PASSWORD_MUST_CHANGE',
  '532': 'PASSWORD_EXPIRED',
  '533': 'ACCOUNT_DISABLED',
  '701': 'ACCOUNT_EXPIRED',
  '530': 'LOGON_HOURS',
  '531': 'LOGON_WORKSTATION',
};

const DIRECTORY_REASONS = {
  INVALID_CREDENTIALS: DirectoryErrors.INVALID_CREDENTIALS,
  ACCOUNT_LOCKED: DirectoryErrors.ACCOUNT_LOCKED,
  PASSWORD_MUST_CHANGE: DirectoryErrors.PASSWORD_MUST_CHANGE,
  PASSWORD_EXPIRED: DirectoryErrors.PASSWORD_EXPIRED,
  ACCOUNT_DISABLED: DirectoryErrors.ACCOUNT_DISABLED,
  ACCOUNT_EXPIRED: DirectoryErrors.ACCOUNT_EXPIRED,
  LOGON_HOURS: DirectoryErrors.LOGON_RESTRICTED,
  LOGON_WORKSTATION: DirectoryErrors.LOGON_RESTRICTED,
};

/** The PassgateError for an AD bind refusal, from its diagnostic message. */
export function bindRefusal(diagnostic: string, username: string) {
  const code = /data ([0-9a-f]{3})/i.exec(diagnostic)?.[1]?.toLowerCase();
  const reason = (code && SUB_CODES[code]) || 'INVALID_CREDENTIALS';
  return DIRECTORY_REASONS[reason]({
    detail: `AD refused "${username}": ${reason}${code ? ` (data ${code})` : ''}`,
  });
}
