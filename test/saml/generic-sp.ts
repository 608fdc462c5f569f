import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PolicyServer } from '../policy/support.js';

/** Metadata of a generic SP as SAML toolkits publish it: its ACS, WantAssertionsSigned, NameIDFormats. */
export function genericMetadata(
  entityId: string,
  acs: string,
  options: { wantAssertionsSigned?: boolean; nameIdFormats?: string[] } = {},
) {
  const want = options.wantAssertionsSigned ? ' WantAssertionsSigned="true"' : '';
  const formats = (options.nameIdFormats ?? [])
    .map((f) => `<md:NameIDFormat>${f}</md:NameIDFormat>`)
    .join('');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">` +
    `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${want}>${formats}` +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>'
  );
}

/** Registers a generic SP (`metadata/saml/NAME.xml` + `NAME.yaml`) on a running server and reloads. */
export async function registerSp(
  passgate: PolicyServer,
  name: string,
  metadata: string,
  yaml = 'profile: generic\n',
) {
  const folder = path.join(passgate.dataDir, 'metadata', 'saml');
  writeFileSync(path.join(folder, `${name}.xml`), metadata);
  writeFileSync(path.join(folder, `${name}.yaml`), yaml);
  await passgate.server.reload();
}

/** The IdP certificate in PEM, from the server's metadata. */
export async function idpCertificate(passgate: PolicyServer): Promise<string> {
  const metadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
  const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata)![1]!;
  return `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}
