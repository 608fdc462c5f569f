import type { Element } from '@xmldom/xmldom';
import { COMPARISONS, type RequestedAuthnContext } from './authn-context.js';
import { SamlErrors } from './errors.js';
import { child, children, parseXml } from './xml-guard.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** What Passgate reads from an AuthnRequest. */
export interface AuthnRequestFields {
  id: string;
  issuer: string;
  issueInstant: number;
  destination: string | undefined;
  acsUrl: string | undefined;
  acsIndex: number | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat: string | undefined;
  requestedAuthnContext: RequestedAuthnContext | undefined;
  /** The user the SP asks for (`<Subject><NameID>`), when it names one. */
  subject: RequestedSubject | undefined;
  /** Whether the root carries an enveloped XML signature (POST binding). */
  signed: boolean;
}

/** The NameID of an AuthnRequest's Subject. */
export interface RequestedSubject {
  nameId: string;
  /** Its Format attribute, when set. */
  format: string | undefined;
}

/** Reads an AuthnRequest's fields (after the DOCTYPE guard); SAML_REQUEST_MALFORMED when it is not one. */
export function readAuthnRequest(xml: string): AuthnRequestFields {
  const root = parseXml(xml).documentElement;
  if (root?.localName !== 'AuthnRequest' || root.namespaceURI !== SAMLP) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'the root element is not samlp:AuthnRequest' });
  }
  const id = root.getAttribute('ID');
  const issuer = child(root, 'Issuer', SAML)?.textContent?.trim();
  const issueInstant = Date.parse(root.getAttribute('IssueInstant') ?? '');
  if (!id || !issuer || Number.isNaN(issueInstant) || root.getAttribute('Version') !== '2.0') {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail: 'ID, Version 2.0, IssueInstant and Issuer are required',
    });
  }
  const index = root.getAttribute('AssertionConsumerServiceIndex');
  const signatures = children(root, 'Signature', DS);
  if (signatures.length > 1) throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'more than one signature' });
  if (signatures[0] && !referencesRoot(signatures[0], id)) {
    throw SamlErrors.SAML_SIGNATURE_INVALID({
      detail: 'the signature does not cover the AuthnRequest itself',
    });
  }
  return {
    id,
    issuer,
    issueInstant,
    destination: optional(root, 'Destination'),
    acsUrl: optional(root, 'AssertionConsumerServiceURL'),
    acsIndex: index === null || index === '' ? undefined : Number(index),
    forceAuthn: isTrue(root.getAttribute('ForceAuthn')),
    isPassive: isTrue(root.getAttribute('IsPassive')),
    nameIdFormat: optional(child(root, 'NameIDPolicy', SAMLP), 'Format'),
    requestedAuthnContext: authnContext(child(root, 'RequestedAuthnContext', SAMLP)),
    subject: subject(child(root, 'Subject', SAML)),
    signed: signatures.length === 1,
  };
}

function authnContext(element: Element | undefined): RequestedAuthnContext | undefined {
  if (!element) return undefined;
  const comparison = element.getAttribute('Comparison') || 'exact';
  if (!(COMPARISONS as readonly string[]).includes(comparison)) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail: `RequestedAuthnContext Comparison ${JSON.stringify(comparison.slice(0, 40))}`,
    });
  }
  return {
    comparison: comparison as RequestedAuthnContext['comparison'],
    classRefs: children(element, 'AuthnContextClassRef', SAML).map((e) => (e.textContent ?? '').trim()),
  };
}

/** The Subject's NameID; a Subject naming its user otherwise (BaseID, EncryptedID) is refused. */
function subject(element: Element | undefined): RequestedSubject | undefined {
  if (!element) return undefined;
  const nameIds = children(element, 'NameID', SAML);
  const nameId = nameIds[0]?.textContent?.trim();
  if (nameIds.length !== 1 || !nameId) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail:
        'the Subject of an AuthnRequest must hold one NameID (BaseID and EncryptedID are not supported)',
    });
  }
  return { nameId, format: optional(nameIds[0], 'Format') };
}

/** The one Reference of an enveloped signature must point at the root (no wrapped copies). */
function referencesRoot(signature: Element, id: string): boolean {
  const references = signature.getElementsByTagNameNS(DS, 'Reference');
  return references.length === 1 && references[0]!.getAttribute('URI') === `#${id}`;
}

const isTrue = (value: string | null) => value === 'true' || value === '1';

function optional(element: Element | undefined, name: string): string | undefined {
  const value = element?.getAttribute(name);
  return value ? value : undefined;
}
