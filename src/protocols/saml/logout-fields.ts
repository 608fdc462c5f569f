import { SamlErrors } from './errors.js';
import { child, children, parseXml } from './xml-guard.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** What Passgate reads from a LogoutRequest. */
export interface LogoutRequestFields {
  id: string;
  issuer: string;
  issueInstant: number;
  destination: string | undefined;
  /** NotOnOrAfter (epoch ms), when the SP set one. */
  notOnOrAfter: number | undefined;
  nameId: string | undefined;
  sessionIndexes: string[];
  /** Whether the root carries an enveloped XML signature (POST binding). */
  signed: boolean;
}

/**
 * Reads a LogoutRequest's fields (after the DOCTYPE guard); SAML_REQUEST_MALFORMED when it is
 * not one, SAML_SIGNATURE_INVALID when its signature does not cover the request itself.
 */
export function readLogoutRequest(xml: string): LogoutRequestFields {
  const root = parseXml(xml).documentElement;
  if (root?.localName !== 'LogoutRequest' || root.namespaceURI !== SAMLP) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'the root element is not samlp:LogoutRequest' });
  }
  const id = root.getAttribute('ID');
  const issuer = child(root, 'Issuer', SAML)?.textContent?.trim();
  const issueInstant = Date.parse(root.getAttribute('IssueInstant') ?? '');
  if (!id || !issuer || Number.isNaN(issueInstant) || root.getAttribute('Version') !== '2.0') {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail: 'LogoutRequest: ID, Version 2.0, IssueInstant and Issuer are required',
    });
  }
  const signatures = children(root, 'Signature', DS);
  if (signatures.length > 1) throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'more than one signature' });
  const references = signatures[0]?.getElementsByTagNameNS(DS, 'Reference');
  if (references && (references.length !== 1 || references[0]!.getAttribute('URI') !== `#${id}`)) {
    throw SamlErrors.SAML_SIGNATURE_INVALID({
      detail: 'the signature does not cover the LogoutRequest itself',
    });
  }
  const notOnOrAfter = Date.parse(root.getAttribute('NotOnOrAfter') ?? '');
  return {
    id,
    issuer,
    issueInstant,
    destination: root.getAttribute('Destination') || undefined,
    notOnOrAfter: Number.isNaN(notOnOrAfter) ? undefined : notOnOrAfter,
    nameId: child(root, 'NameID', SAML)?.textContent?.trim() || undefined,
    sessionIndexes: children(root, 'SessionIndex', SAMLP).map((e) => e.textContent?.trim() ?? ''),
    signed: signatures.length === 1,
  };
}
