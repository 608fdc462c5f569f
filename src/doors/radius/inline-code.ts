/** A code typed after the password: 6 to 8 digits (OATH token codes, passcodes). */
const CODE = /^\d{6,8}$/;

/**
 * Splits what a client in inline mode sends as User-Password: when the text after the LAST
 * separator is 6 to 8 digits, that is the code and everything before it the password (so a
 * password may contain the separator anywhere); otherwise the whole text is the password and
 * there is no code. Only one password is ever tried, so an ambiguous text costs at most one
 * failed attempt against the lockout counters.
 */
export function splitInlineCode(text: string, separator: string): { password: string; code?: string } {
  const at = text.lastIndexOf(separator);
  if (at < 0) return { password: text };
  const code = text.slice(at + separator.length);
  return CODE.test(code) ? { password: text.slice(0, at), code } : { password: text };
}
