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
  /** Placeholders of each attribute: its name, its friendly name, and one per value. */
  attributes: Array<{ name: string; friendlyName: string; values: string[] }>;
}

/** The shape of one released attribute: how many values, and how it is named. */
export interface AttributeShape {
  values: number;
  /** Its Name is a URI (NameFormat uri), else NameFormat unspecified. */
  uriName: boolean;
  /** It carries a FriendlyName. */
  friendlyName: boolean;
}

/** The NameFormat of an attribute: uri when its Name is a URI, else unspecified. */
export const NAME_FORMAT = {
  uri: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  unspecified: 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified',
} as const;

/**
 * Puts the NameID and attribute placeholders into `template`, for attributes of the given
 * shapes: the XML depends on the shapes alone, every name and value is a placeholder. These placeholders carry a random tag
 * per response, because samlify fills placeholders one after another and a user's value that
 * spelled out a later placeholder would otherwise be filled in again.
 */
export function personalise(template: string, shapes: readonly AttributeShape[]): PersonalTemplate {
  const tag = randomBytes(6).toString('hex');
  const nameId = `U${tag}N`;
  const attributes = shapes.map((shape, i) => ({
    name: `U${tag}A${i}`,
    friendlyName: `U${tag}A${i}F`,
    values: Array.from({ length: shape.values }, (_, j) => `U${tag}A${i}V${j}`),
  }));
  const attribute = (a: PersonalTemplate['attributes'][number], i: number) => {
    const shape = shapes[i]!;
    const friendly = shape.friendlyName ? ` FriendlyName="{${a.friendlyName}}"` : '';
    const format = shape.uriName ? NAME_FORMAT.uri : NAME_FORMAT.unspecified;
    return (
      `<saml:Attribute Name="{${a.name}}" NameFormat="${format}"${friendly}>` +
      `${a.values.map((v) => `<saml:AttributeValue>{${v}}</saml:AttributeValue>`).join('')}</saml:Attribute>`
    );
  };
  const statement =
    attributes.length === 0
      ? ''
      : `<saml:AttributeStatement>${attributes.map(attribute).join('')}</saml:AttributeStatement>`;
  const xml = template.replace('{NameID}', `{${nameId}}`).replace('{UserAttributes}', statement);
  return { xml, nameId, attributes };
}
