import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAML } from '@node-saml/node-saml';
import type { ConfigInput } from '../../src/config/schema.js';
import { createSamlIdp, type SamlIdp } from '../../src/doors/saml/idp.js';
import { createLogger } from '../../src/observability/logger.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { User } from '../../src/store/repositories/users.js';
import { createTestCore, fakeClock, type TestCore } from '../support/core.js';

/** The public URL of the IdP in these tests. */
export const PUBLIC_URL = 'https://idp.example.com';

/** A SAML door over a fresh SQLite core, with the example SPs of `metadata/saml/` (plus extra files). */
export interface SamlFixture extends TestCore {
  door: SamlIdp;
  folder: string;
  /** The IdP certificate in PEM. */
  certificatePem(): string;
}

/** Builds the door; `files` adds or replaces files of the metadata/saml folder. */
export async function createSamlFixture(
  files: Record<string, string> = {},
  config: ConfigInput = {},
): Promise<SamlFixture> {
  const metadataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-saml-'));
  const folder = path.join(metadataDir, 'saml');
  mkdirSync(folder);
  cpSync(path.join(PACKAGE_ROOT, 'metadata', 'saml'), folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
  const test = await createTestCore('sqlite', { metadataDir, ...config }, fakeClock(Date.now()));
  const { core } = test;
  const door = await createSamlIdp({
    config: { ...core.config, saml: { ...core.config.saml, watchMetadata: false } },
    publicUrl: PUBLIC_URL,
    keys: core.keys,
    secrets: core.secrets,
    requestIds: core.repositories.samlRequestIds,
    logger: createLogger('silent'),
    clock: core.clock,
  });
  const certificatePem = () => {
    const xml = door.metadata();
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(xml)![1]!;
    return `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  };
  return {
    ...test,
    door,
    folder,
    certificatePem,
    close: async () => {
      door.stop();
      await test.close();
    },
  };
}

/** A user synchronised from AD, with the attributes AD sync stores. */
export async function addAdUser(fixture: TestCore, extra: { displayName?: string } = {}): Promise<User> {
  const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const { user } = await fixture.core.users.upsertFromDirectory(
    {
      externalId: '33221100-5544-7766-8899-aabbccddeeff',
      username: 'alice',
      dn: 'CN=Alice Martin,OU=Staff,DC=example,DC=com',
      displayName: extra.displayName ?? 'Alice Martin',
      email: 'alice@example.com',
      mobile: null,
      groups: ['Staff', 'Sales'],
      disabled: false,
      attributes: {
        userPrincipalName: 'alice@example.com',
        sAMAccountName: 'alice',
        givenName: 'Alice',
        sn: 'Martin',
        objectGuid: guid.toString('base64'),
        immutableId: guid.toString('base64'),
      },
    },
    'ad',
  );
  return user;
}

/** Decoded XML of a base64 SAMLResponse. */
export const decode = (samlResponse: string) => Buffer.from(samlResponse, 'base64').toString('utf8');

/**
 * Verifies a signature with xmlsec1, independently of samlify and xml-crypto: `node` is
 * Response or Assertion (the element whose signature is checked).
 */
export function xmlsecVerify(xml: string, certificatePem: string, node: 'Response' | 'Assertion'): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-xmlsec-'));
  const file = path.join(dir, 'message.xml');
  const cert = path.join(dir, 'idp.crt');
  writeFileSync(file, xml);
  writeFileSync(cert, certificatePem);
  const ns =
    node === 'Response' ? 'urn:oasis:names:tc:SAML:2.0:protocol' : 'urn:oasis:names:tc:SAML:2.0:assertion';
  const xpath =
    node === 'Response'
      ? "/*[local-name()='Response']/*[local-name()='Signature']"
      : "//*[local-name()='Assertion']/*[local-name()='Signature']";
  const run = spawnSync(
    'xmlsec1',
    ['--verify', '--pubkey-cert-pem', cert, '--id-attr:ID', `${ns}:${node}`, '--node-xpath', xpath, file],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`xmlsec1 --verify failed: ${run.stderr}`);
}

/** Verifies the enveloped signature of a protocol message (e.g. LogoutResponse) with xmlsec1. */
export function xmlsecVerifyMessage(xml: string, certificatePem: string, root: string): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-xmlsec-'));
  const file = path.join(dir, 'message.xml');
  const cert = path.join(dir, 'idp.crt');
  writeFileSync(file, xml);
  writeFileSync(cert, certificatePem);
  const run = spawnSync(
    'xmlsec1',
    [
      '--verify',
      '--pubkey-cert-pem',
      cert,
      '--id-attr:ID',
      `urn:oasis:names:tc:SAML:2.0:protocol:${root}`,
      file,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`xmlsec1 --verify failed: ${run.stderr}`);
}

/** node-saml acting as the SP `entityId`, trusting the IdP certificate, at this ACS. */
export function nodeSamlSp(options: {
  entityId: string;
  acsUrl: string;
  idpCert: string;
  issuer?: string;
  wantAssertionsSigned?: boolean;
  wantAuthnResponseSigned?: boolean;
  /** Tolerated clock difference (a test clock moved ahead of the real one needs more). */
  acceptedClockSkewMs?: number;
}): SAML {
  return new SAML({
    issuer: options.entityId,
    audience: options.entityId,
    callbackUrl: options.acsUrl,
    idpCert: options.idpCert,
    idpIssuer: options.issuer ?? `${PUBLIC_URL}/saml/metadata`,
    wantAssertionsSigned: options.wantAssertionsSigned ?? true,
    wantAuthnResponseSigned: options.wantAuthnResponseSigned ?? true,
    validateInResponseTo: 'never' as never,
    acceptedClockSkewMs: options.acceptedClockSkewMs ?? 5000,
  });
}

/** Whether xmlsec1 is on this machine (preflight installs it in CI). */
export const hasXmlsec = () =>
  spawnSync('sh', ['-c', 'command -v xmlsec1'], { stdio: 'ignore' }).status === 0;
/** Runs xmlsec1 and returns its version line (sanity). */
export const xmlsecVersion = () => execFileSync('xmlsec1', ['--version'], { encoding: 'utf8' }).trim();
