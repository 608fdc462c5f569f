import { randomBytes } from 'node:crypto';

/**
 * The login response skeleton (samlify's `loginResponseTemplate`). It holds placeholders only;
 * every value goes in through samlify's escaping `SamlLib.replaceTagsByValue`. There is no
 * AuthenticatingAuthority element: Entra ID refuses it (AADSTS500132).
 */
export const LOGIN_RESPONSE_TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
  '<saml:Assertion ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<saml:Subject><saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID>' +
  '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
  '<saml:SubjectConfirmationData NotOnOrAfter="{NotOnOrAfter}" Recipient="{Recipient}" InResponseTo="{InResponseTo}"/>' +
  '</saml:SubjectConfirmation></saml:Subject>' +
  '<saml:Conditions NotBefore="{NotBefore}" NotOnOrAfter="{NotOnOrAfter}">' +
  '<saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>' +
  '<saml:AuthnStatement AuthnInstant="{AuthnInstant}" SessionIndex="{SessionIndex}">' +
  '<saml:AuthnContext><saml:AuthnContextClassRef>{AuthnContextClassRef}</saml:AuthnContextClassRef></saml:AuthnContext>' +
  '</saml:AuthnStatement>{UserAttributes}</saml:Assertion></samlp:Response>';

/** A skeleton for one response, with the placeholders of the user's values. */
export interface PersonalTemplate {
  xml: string;
  /** Placeholder of the NameID value. */
  nameId: string;
  /** Placeholders of each attribute: its name, and one per value. */
  attributes: Array<{ name: string; values: string[] }>;
}

/**
 * Puts the NameID and attribute placeholders into `template`, for attributes with the given
 * numbers of values: the shape depends on numbers alone. These placeholders carry a random tag
 * per response, because samlify fills placeholders one after another and a user's value that
 * spelled out a later placeholder would otherwise be filled in again.
 */
export function personalise(template: string, valueCounts: readonly number[]): PersonalTemplate {
  const tag = randomBytes(6).toString('hex');
  const nameId = `U${tag}N`;
  const attributes = valueCounts.map((count, i) => ({
    name: `U${tag}A${i}`,
    values: Array.from({ length: count }, (_, j) => `U${tag}A${i}V${j}`),
  }));
  const attribute = (a: { name: string; values: string[] }) =>
    `<saml:Attribute Name="{${a.name}}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">` +
    `${a.values.map((v) => `<saml:AttributeValue>{${v}}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
  const statement =
    attributes.length === 0
      ? ''
      : `<saml:AttributeStatement>${attributes.map(attribute).join('')}</saml:AttributeStatement>`;
  const xml = template.replace('{NameID}', `{${nameId}}`).replace('{UserAttributes}', statement);
  return { xml, nameId, attributes };
}
