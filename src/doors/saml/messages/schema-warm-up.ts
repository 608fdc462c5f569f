/*
 * Messages validated once when the schema is compiled. V8 compiles WebAssembly functions on
 * their first call: without this, the first SAML request after start would pay tens of
 * milliseconds of compilation. They cover what requests and responses hold (a signature, an
 * assertion with its statements, attribute values typed with xsi:type), and one invalid message
 * for the error path. They also prove, at start, that the compiled schema accepts valid messages.
 */

const NS =
  'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const INSTANT = '2026-01-01T00:00:00Z';

function signature(id: string): string {
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>' +
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>' +
    '<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>' +
    '<ds:SignatureValue>AAAA</ds:SignatureValue>' +
    '<ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo>' +
    '</ds:Signature>'
  );
}

const AUTHN_REQUEST =
  `<samlp:AuthnRequest ${NS} ID="_w1" Version="2.0" IssueInstant="${INSTANT}" Destination="https://idp.example/sso" ` +
  'ForceAuthn="false" IsPassive="false" AssertionConsumerServiceURL="https://sp.example/acs" ' +
  'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">' +
  `<saml:Issuer>https://sp.example</saml:Issuer>${signature('_w1')}` +
  '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">a@sp.example</saml:NameID></saml:Subject>' +
  '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>' +
  '<samlp:RequestedAuthnContext Comparison="minimum">' +
  '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>' +
  '</samlp:RequestedAuthnContext></samlp:AuthnRequest>';

const RESPONSE =
  `<samlp:Response ${NS} xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
  `ID="_w2" Version="2.0" IssueInstant="${INSTANT}" Destination="https://sp.example/acs" InResponseTo="_w1">` +
  `<saml:Issuer>https://idp.example</saml:Issuer>${signature('_w2')}` +
  '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
  `<saml:Assertion ID="_w3" Version="2.0" IssueInstant="${INSTANT}"><saml:Issuer>https://idp.example</saml:Issuer>${signature('_w3')}` +
  '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">AAAA</saml:NameID>' +
  '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
  `<saml:SubjectConfirmationData NotOnOrAfter="${INSTANT}" Recipient="https://sp.example/acs" InResponseTo="_w1"/>` +
  '</saml:SubjectConfirmation></saml:Subject>' +
  `<saml:Conditions NotBefore="${INSTANT}" NotOnOrAfter="${INSTANT}"><saml:AudienceRestriction>` +
  '<saml:Audience>https://sp.example</saml:Audience></saml:AudienceRestriction></saml:Conditions>' +
  `<saml:AuthnStatement AuthnInstant="${INSTANT}" SessionIndex="_w4"><saml:AuthnContext>` +
  '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>' +
  '</saml:AuthnContext></saml:AuthnStatement>' +
  '<saml:AttributeStatement><saml:Attribute Name="mail" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">' +
  '<saml:AttributeValue xsi:type="xs:string">a@sp.example</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>' +
  '</saml:Assertion></samlp:Response>';

const LOGOUT_REQUEST =
  `<samlp:LogoutRequest ${NS} ID="_w5" Version="2.0" IssueInstant="${INSTANT}" NotOnOrAfter="${INSTANT}">` +
  '<saml:Issuer>https://sp.example</saml:Issuer><saml:NameID>a@sp.example</saml:NameID>' +
  '<samlp:SessionIndex>_w4</samlp:SessionIndex></samlp:LogoutRequest>';

const LOGOUT_RESPONSE =
  `<samlp:LogoutResponse ${NS} ID="_w6" Version="2.0" IssueInstant="${INSTANT}" InResponseTo="_w5">` +
  '<saml:Issuer>https://idp.example</saml:Issuer><samlp:Status>' +
  '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">' +
  '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode>' +
  '</samlp:Status></samlp:LogoutResponse>';

/** Valid messages of each kind: the schema must accept every one. */
export const WARM_UP_VALID: readonly string[] = [AUTHN_REQUEST, RESPONSE, LOGOUT_REQUEST, LOGOUT_RESPONSE];

/** A message and what its reader must find in it (the walk over libxml2's structs, proven at start). */
export const WARM_UP_READ = {
  xml: AUTHN_REQUEST,
  root: 'AuthnRequest',
  id: '_w1',
  issuer: 'https://sp.example',
};

/** An AuthnRequest with an element the protocol schema does not declare: the schema must refuse it. */
export const WARM_UP_INVALID = AUTHN_REQUEST.replace(
  '<samlp:NameIDPolicy',
  '<samlp:Unknown/><samlp:NameIDPolicy',
);
