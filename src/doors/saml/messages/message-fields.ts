import { SamlErrors } from '../errors.js';
import type { MessageElement } from './message-document.js';

/** The SAML protocol namespace (samlp). */
export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
/** The SAML assertion namespace (saml). */
export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** What every incoming request states about itself, whatever its kind. */
export interface RequestFields {
  id: string;
  issuer: string;
  issueInstant: number;
  destination: string | undefined;
  /** NotOnOrAfter (epoch ms), where the request kind has one and the SP set it. */
  notOnOrAfter?: number | undefined;
  /** Whether the root carries an enveloped XML signature (POST binding). */
  signed: boolean;
}

/**
 * Reads what every request has, from its parsed root, so both readers hold it to the same rules: the root is `samlp:<kind>`, ID, Version 2.0, IssueInstant and Issuer are present
 * (SAML_REQUEST_MALFORMED), and at most one signature, covering the root itself (SAML_SIGNATURE_INVALID).
 */
export function readRequestRoot(root: MessageElement, kind: string): RequestFields {
  if (root.localName !== kind || root.namespaceURI !== SAMLP) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: `the root element is not samlp:${kind}` });
  }
  const id = root.getAttribute('ID');
  const issuer = root.child('Issuer', SAML)?.textContent.trim();
  const issueInstant = Date.parse(root.getAttribute('IssueInstant') ?? '');
  if (!id || !issuer || Number.isNaN(issueInstant) || root.getAttribute('Version') !== '2.0') {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail: `${kind}: ID, Version 2.0, IssueInstant and Issuer are required`,
    });
  }
  const signatures = root.children('Signature', DS);
  if (signatures.length > 1) throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'more than one signature' });
  if (signatures[0] && !referencesRoot(signatures[0], id)) {
    throw SamlErrors.SAML_SIGNATURE_INVALID({ detail: `the signature does not cover the ${kind} itself` });
  }
  return {
    id,
    issuer,
    issueInstant,
    destination: optional(root, 'Destination'),
    signed: signatures.length === 1,
  };
}

/** The one Reference of an enveloped signature must point at the root (no wrapped copies). */
function referencesRoot(signature: MessageElement, id: string): boolean {
  const references = signature.descendants('Reference', DS);
  return references.length === 1 && references[0]!.getAttribute('URI') === `#${id}`;
}

/** An attribute's value, undefined when absent or empty. */
export function optional(element: MessageElement | undefined, name: string): string | undefined {
  const value = element?.getAttribute(name);
  return value ? value : undefined;
}
