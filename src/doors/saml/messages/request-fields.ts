import type { Element } from '@xmldom/xmldom';
import { SamlErrors } from '../errors.js';
import { COMPARISONS, type RequestedAuthnContext } from './authn-context.js';
import { optional, type RequestFields, readRequestRoot, SAML, SAMLP } from './message-fields.js';
import { child, children } from './xml-guard.js';

/** What Passgate reads from an AuthnRequest. */
export interface AuthnRequestFields extends RequestFields {
  acsUrl: string | undefined;
  acsIndex: number | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat: string | undefined;
  requestedAuthnContext: RequestedAuthnContext | undefined;
  /** The user the SP asks for (`<Subject><NameID>`), when it names one. */
  subject: RequestedSubject | undefined;
}

/** The NameID of an AuthnRequest's Subject. */
export interface RequestedSubject {
  nameId: string;
  /** Its Format attribute, when set. */
  format: string | undefined;
}

/** Reads an AuthnRequest's fields (after the DOCTYPE guard); SAML_REQUEST_MALFORMED when it is not one. */
export function readAuthnRequest(xml: string): AuthnRequestFields {
  const { root, fields } = readRequestRoot(xml, 'AuthnRequest');
  const index = root.getAttribute('AssertionConsumerServiceIndex');
  return {
    ...fields,
    acsUrl: optional(root, 'AssertionConsumerServiceURL'),
    acsIndex: index === null || index === '' ? undefined : Number(index),
    forceAuthn: isTrue(root.getAttribute('ForceAuthn')),
    isPassive: isTrue(root.getAttribute('IsPassive')),
    nameIdFormat: optional(child(root, 'NameIDPolicy', SAMLP), 'Format'),
    requestedAuthnContext: authnContext(child(root, 'RequestedAuthnContext', SAMLP)),
    subject: subject(child(root, 'Subject', SAML)),
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

const isTrue = (value: string | null) => value === 'true' || value === '1';
