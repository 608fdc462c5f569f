import { samlify } from '../../src/doors/saml/signing/samlify.js';
import { selfSignedCertifier } from '../../src/keys/certificate.js';
import { newKeyPair } from '../support/key-pairs.js';

/** SAML binding URIs of a test SP's single logout service. */
export const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** An SP of the test: its entity id, key pair, and single logout service (if any). */
export interface TestSp {
  name: string;
  entityId: string;
  der: string;
  privateKey: string;
  slo?: typeof REDIRECT | typeof POST;
}

/** A test SP with a fresh key pair and self-signed certificate (entity id: an https URL of its own, unless given). */
export async function makeSp(
  name: string,
  slo?: TestSp['slo'],
  entityId = `https://${name}.example.org/saml`,
): Promise<TestSp> {
  const pair = newKeyPair('rsa');
  const der = await selfSignedCertifier(() => ({
    commonName: `${name}.example.org`,
    validityYears: 1,
    now: Date.now(),
  }))(pair);
  const privateKey = pair.privatePem;
  return { name, entityId, der, privateKey, ...(slo ? { slo } : {}) };
}

/** The SP's metadata, as an administrator drops it into metadata/saml. */
export function metadataOf(sp: TestSp): string {
  const slo = sp.slo ? `<md:SingleLogoutService Binding="${sp.slo}" Location="${sp.entityId}/slo"/>` : '';
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${sp.entityId}">` +
    '<md:SPSSODescriptor AuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${sp.der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    slo +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>' +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="${POST}" Location="${sp.entityId}/acs"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>'
  );
}

/** The signed Redirect LogoutRequest `sp` sends Passgate (at `passgateUrl`) for this NameID and SessionIndex. */
export function signedLogoutRequestUrl(
  passgateUrl: string,
  idpMetadata: string,
  sp: TestSp,
  stated: { nameId: string; sessionIndex: string },
  relayState: string,
): { id: string; url: string } {
  return redirectLogoutRequest(
    passgateUrl,
    idpMetadata,
    { metadata: metadataOf(sp), privateKey: sp.privateKey },
    { logoutNameID: stated.nameId, sessionIndex: stated.sessionIndex },
    relayState,
  );
}

/** A LogoutRequest an SP (its metadata, signed with `privateKey`) sends Passgate by the HTTP-Redirect binding. */
export function redirectLogoutRequest(
  passgateUrl: string,
  idpMetadata: string,
  sp: { metadata: string; privateKey: string },
  user: { logoutNameID: string; sessionIndex?: string },
  relayState: string,
): { id: string; url: string } {
  const idp = samlify.IdentityProvider({ metadata: idpMetadata, wantLogoutRequestSigned: true });
  const entity = samlify.ServiceProvider({ metadata: sp.metadata, privateKey: sp.privateKey }) as unknown as {
    createLogoutRequest(
      idp: unknown,
      binding: 'redirect',
      user: unknown,
      relayState: string,
    ): { id: string; context: string };
  };
  const { id, context } = entity.createLogoutRequest(idp, 'redirect', user, relayState);
  return { id, url: context.replace(/^.*\/saml\/slo/, `${passgateUrl}/saml/slo`) };
}
