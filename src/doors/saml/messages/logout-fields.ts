import { type RequestFields, readRequestRoot, SAML, SAMLP } from './message-fields.js';
import { child, children } from './xml-guard.js';

/** What Passgate reads from a LogoutRequest. */
export interface LogoutRequestFields extends RequestFields {
  nameId: string | undefined;
  sessionIndexes: string[];
}

/**
 * Reads a LogoutRequest's fields (after the DOCTYPE guard); SAML_REQUEST_MALFORMED when it is
 * not one, SAML_SIGNATURE_INVALID when its signature does not cover the request itself.
 */
export function readLogoutRequest(xml: string): LogoutRequestFields {
  const { root, fields } = readRequestRoot(xml, 'LogoutRequest');
  const notOnOrAfter = Date.parse(root.getAttribute('NotOnOrAfter') ?? '');
  return {
    ...fields,
    notOnOrAfter: Number.isNaN(notOnOrAfter) ? undefined : notOnOrAfter,
    nameId: child(root, 'NameID', SAML)?.textContent?.trim() || undefined,
    sessionIndexes: children(root, 'SessionIndex', SAMLP).map((e) => e.textContent?.trim() ?? ''),
  };
}
