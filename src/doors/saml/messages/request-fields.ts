import { SamlErrors } from '../errors.js';
import { COMPARISONS, type RequestedAuthnContext } from './authn-context.js';
import type { MessageElement } from './message-document.js';
import { optional, type RequestFields, readRequestRoot, SAML, SAMLP } from './message-fields.js';

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

/** Reads an AuthnRequest's fields from its parsed root; SAML_REQUEST_MALFORMED when it is not one. */
export function readAuthnRequest(root: MessageElement): AuthnRequestFields {
  const fields = readRequestRoot(root, 'AuthnRequest');
  const index = root.getAttribute('AssertionConsumerServiceIndex');
  return {
    ...fields,
    acsUrl: optional(root, 'AssertionConsumerServiceURL'),
    acsIndex: index === null || index === '' ? undefined : Number(index),
    forceAuthn: isTrue(root.getAttribute('ForceAuthn')),
    isPassive: isTrue(root.getAttribute('IsPassive')),
    nameIdFormat: optional(root.child('NameIDPolicy', SAMLP), 'Format'),
    requestedAuthnContext: authnContext(root.child('RequestedAuthnContext', SAMLP)),
    subject: subject(root.child('Subject', SAML)),
  };
}

function authnContext(element: MessageElement | undefined): RequestedAuthnContext | undefined {
  if (!element) return undefined;
  const comparison = element.getAttribute('Comparison') || 'exact';
  if (!(COMPARISONS as readonly string[]).includes(comparison)) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail: `RequestedAuthnContext Comparison ${JSON.stringify(comparison.slice(0, 40))}`,
    });
  }
  return {
    comparison: comparison as RequestedAuthnContext['comparison'],
    classRefs: element.children('AuthnContextClassRef', SAML).map((e) => e.textContent.trim()),
  };
}

/** The Subject's NameID; a Subject naming its user otherwise (BaseID, EncryptedID) is refused. */
function subject(element: MessageElement | undefined): RequestedSubject | undefined {
  if (!element) return undefined;
  const nameIds = element.children('NameID', SAML);
  const nameId = nameIds[0]?.textContent.trim();
  if (nameIds.length !== 1 || !nameId) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail:
        'the Subject of an AuthnRequest must hold one NameID (BaseID and EncryptedID are not supported)',
    });
  }
  return { nameId, format: optional(nameIds[0], 'Format') };
}

const isTrue = (value: string | null) => value === 'true' || value === '1';
