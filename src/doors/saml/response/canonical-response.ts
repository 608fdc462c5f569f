import { element, type Namespace, startTag, textElement } from '../signing/canonical-xml.js';
import { NAME_FORMAT } from './response-template.js';

const PROTOCOL: Namespace = { prefix: 'samlp', uri: 'urn:oasis:names:tc:SAML:2.0:protocol' };
const ASSERTION: Namespace = { prefix: 'saml', uri: 'urn:oasis:names:tc:SAML:2.0:assertion' };
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** One released attribute: its name, friendly name and values (at least one). */
export interface ReleasedAttribute {
  name: string;
  friendlyName?: string | undefined;
  values: readonly string[];
}

/** Everything a login response says (the fields of LOGIN_RESPONSE_TEMPLATE, filled). */
export interface LoginResponseValues {
  ID: string;
  AssertionID: string;
  IssueInstant: string;
  Destination: string;
  Recipient: string;
  /** Left out (both places) for IdP-initiated SSO. */
  InResponseTo: string | undefined;
  Issuer: string;
  Audience: string;
  NotBefore: string;
  NotOnOrAfter: string;
  AuthnInstant: string;
  SessionIndex: string;
  AuthnContextClassRef: string;
  NameIDFormat: string;
  NameID: string;
  attributes: readonly ReleasedAttribute[];
}

/** Signs an element given its canonical text and ID: the canonical `ds:Signature` to put in it. */
export type EnvelopedSigner = (canonical: string, id: string) => string;

/**
 * The login response of LOGIN_RESPONSE_TEMPLATE (same elements, same order, same values),
 * written in exclusive canonical form (canonical-xml.ts), its Assertion and then the Response
 * signed when a signer is given for them, each signature right after the Issuer of what it signs.
 * Being canonical, the text is what the digests are taken over: no parse, no canonicalisation.
 */
export function writeLoginResponse(
  values: LoginResponseValues,
  signers: { assertion?: EnvelopedSigner | undefined; response?: EnvelopedSigner | undefined },
): string {
  const issuer = textElement('saml:Issuer', [], values.Issuer, ASSERTION);
  const assertionStart = startTag(
    'saml:Assertion',
    [
      ['ID', values.AssertionID],
      ['Version', '2.0'],
      ['IssueInstant', values.IssueInstant],
    ],
    ASSERTION,
  );
  // Inside the Assertion, the saml namespace is declared already.
  const assertionIssuer = textElement('saml:Issuer', [], values.Issuer);
  const assertionBody = `${subject(values)}${conditions(values)}${authnStatement(values)}${attributeStatement(values.attributes)}</saml:Assertion>`;
  const assertionSignature = signers.assertion?.(
    `${assertionStart}${assertionIssuer}${assertionBody}`,
    values.AssertionID,
  );
  const assertion = `${assertionStart}${assertionIssuer}${assertionSignature ?? ''}${assertionBody}`;

  const responseStart = startTag(
    'samlp:Response',
    [
      ['ID', values.ID],
      ['Version', '2.0'],
      ['IssueInstant', values.IssueInstant],
      ['Destination', values.Destination],
      ['InResponseTo', values.InResponseTo],
    ],
    PROTOCOL,
  );
  const status = element('samlp:Status', [], element('samlp:StatusCode', [['Value', SUCCESS]], ''));
  const responseBody = `${status}${assertion}</samlp:Response>`;
  const responseSignature = signers.response?.(`${responseStart}${issuer}${responseBody}`, values.ID);
  return `${responseStart}${issuer}${responseSignature ?? ''}${responseBody}`;
}

function subject(values: LoginResponseValues): string {
  const nameId = textElement('saml:NameID', [['Format', values.NameIDFormat]], values.NameID);
  const confirmationData = element(
    'saml:SubjectConfirmationData',
    [
      ['NotOnOrAfter', values.NotOnOrAfter],
      ['Recipient', values.Recipient],
      ['InResponseTo', values.InResponseTo],
    ],
    '',
  );
  const confirmation = element('saml:SubjectConfirmation', [['Method', BEARER]], confirmationData);
  return element('saml:Subject', [], `${nameId}${confirmation}`);
}

function conditions(values: LoginResponseValues): string {
  const audience = textElement('saml:Audience', [], values.Audience);
  return element(
    'saml:Conditions',
    [
      ['NotBefore', values.NotBefore],
      ['NotOnOrAfter', values.NotOnOrAfter],
    ],
    element('saml:AudienceRestriction', [], audience),
  );
}

function authnStatement(values: LoginResponseValues): string {
  const classRef = textElement('saml:AuthnContextClassRef', [], values.AuthnContextClassRef);
  return element(
    'saml:AuthnStatement',
    [
      ['AuthnInstant', values.AuthnInstant],
      ['SessionIndex', values.SessionIndex],
    ],
    element('saml:AuthnContext', [], classRef),
  );
}

function attributeStatement(attributes: readonly ReleasedAttribute[]): string {
  if (attributes.length === 0) return '';
  const written = attributes.map((attribute) =>
    element(
      'saml:Attribute',
      [
        ['Name', attribute.name],
        ['NameFormat', NAME_FORMAT[nameFormatOf(attribute.name)]],
        ['FriendlyName', attribute.friendlyName],
      ],
      attribute.values.map((value) => textElement('saml:AttributeValue', [], value)).join(''),
    ),
  );
  return element('saml:AttributeStatement', [], written.join(''));
}

/** A Name that is a URI has NameFormat uri, any other NameFormat unspecified. */
export function nameFormatOf(name: string): keyof typeof NAME_FORMAT {
  return /^(urn|https?):/i.test(name) ? 'uri' : 'unspecified';
}
