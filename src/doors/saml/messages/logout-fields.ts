import type { MessageElement } from './message-document.js';
import { type RequestFields, readRequestRoot, SAML, SAMLP } from './message-fields.js';

/** What Passgate reads from a LogoutRequest. */
export interface LogoutRequestFields extends RequestFields {
  nameId: string | undefined;
  sessionIndexes: string[];
}

/**
 * Reads a LogoutRequest's fields from its parsed root; SAML_REQUEST_MALFORMED when it is not
 * one, SAML_SIGNATURE_INVALID when its signature does not cover the request itself.
 */
export function readLogoutRequest(root: MessageElement): LogoutRequestFields {
  const fields = readRequestRoot(root, 'LogoutRequest');
  const notOnOrAfter = Date.parse(root.getAttribute('NotOnOrAfter') ?? '');
  return {
    ...fields,
    notOnOrAfter: Number.isNaN(notOnOrAfter) ? undefined : notOnOrAfter,
    nameId: root.child('NameID', SAML)?.textContent.trim() || undefined,
    sessionIndexes: root.children('SessionIndex', SAMLP).map((e) => e.textContent.trim()),
  };
}
