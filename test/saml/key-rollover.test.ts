import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlify } from '../../src/doors/saml/signing/samlify.js';
import { SAML_KEY_PURPOSE } from '../../src/doors/saml/signing/signing-key.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { PASSWORD, type PolicyServer } from '../policy/support.js';
import { runCli, writeConfig } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { SamlSignIn, startSamlServer } from './sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from './support.js';

const DAY = 86_400_000;
const SALESFORCE = 'https://example.my.salesforce.com';

/** The X509Certificate contents of a metadata document, in order. */
function certificates(metadata: string): string[] {
  return [...metadata.matchAll(/<(?:\w+:)?X509Certificate>([^<]+)</g)].map((m) => m[1]!);
}

const pem = (der: string) =>
  `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

describe('SAML signing-key rollover without an outage (PostgreSQL, two server processes)', () => {
  const masterKey = randomBytes(32).toString('base64');
  let passgate: PolicyServer;
  /** A second server process on the same database and master key. */
  let other: TestServer;
  let cli: (args: string[]) => ReturnType<typeof runCli>;
  let current: string;
  let next: string;

  const metadataOf = async (url: string) => (await fetch(`${url}/saml/metadata`)).text();

  /** Waits until both servers publish `expected` (they re-read keys every oidc.keyRefreshSeconds). */
  async function bothPublish(expected: string[]) {
    for (let i = 0; i < 100; i++) {
      const seen = [certificates(await metadataOf(passgate.url)), certificates(await metadataOf(other.url))];
      if (seen.every((list) => JSON.stringify(list) === JSON.stringify(expected))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the servers did not pick up the key change');
  }

  /** A Salesforce IdP-initiated sign-in on `server`: the SAMLResponse XML (response and assertion signed). */
  async function signIn(server: { url: string }): Promise<{ xml: string; samlResponse: string }> {
    const flow = await new SamlSignIn({ url: server.url } as PolicyServer).idpInit('salesforce');
    await flow.password('ann', PASSWORD);
    const { samlResponse } = flow.posted;
    return { xml: decode(samlResponse), samlResponse };
  }

  /** Whether an SP trusting only `der` accepts the response (node-saml as Salesforce). */
  async function accepted(samlResponse: string, der: string): Promise<boolean> {
    const sp = nodeSamlSp({
      entityId: SALESFORCE,
      acsUrl: 'https://example.my.salesforce.com?so=00D000000000001',
      idpCert: pem(der),
      issuer: `${passgate.url}/saml/metadata`,
    });
    return sp.validatePostResponseAsync({ SAMLResponse: samlResponse }).then(
      () => true,
      () => false,
    );
  }

  beforeAll(async () => {
    const config = { secrets: { masterKey }, oidc: { keyRefreshSeconds: 1 } };
    passgate = await startSamlServer(config, 'postgres');
    other = await startTestServer({ databaseUrl: passgate.config.database.url, config });
    cpSync(path.join(PACKAGE_ROOT, 'metadata', 'saml'), path.join(other.dataDir, 'metadata', 'saml'), {
      recursive: true,
    });
    await other.server.reload();
    await passgate.addUser('ann', PASSWORD);
    const { file } = writeConfig({ database: { url: passgate.config.database.url }, secrets: { masterKey } });
    cli = (args) => runCli([...args, '--config', file]);
    [current] = certificates(await metadataOf(passgate.url)) as [string];
  }, 120_000);
  afterAll(async () => {
    await other?.close();
    await passgate?.close();
  });

  it('keys rotate publishes the next certificate beside the current one, which goes on signing', async () => {
    expect(passgate.config.database.url).toMatch(/^postgres/);
    const rotated = await cli(['keys', 'rotate', '--purpose', 'saml']);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^Next signing keys \(published, not signing yet\): \S+$/m);
    expect(rotated.stdout).toMatch(/^Activate from \S+ with: passgate keys activate --purpose saml$/m);
    next = /^Certificate \(base64\): (\S+)$/m.exec(rotated.stdout)![1]!;
    expect(next).not.toBe(current);

    await bothPublish([current, next]);
    const metadata = await metadataOf(other.url);
    expect(metadata.match(/<(?:\w+:)?KeyDescriptor use="signing"/g)).toHaveLength(2);
    // An SP library reads both certificates (samlify as the SP side of this IdP).
    const asSp = samlify.IdentityProvider({ metadata }) as unknown as {
      entityMeta: { getX509Certificate(use: string): string | string[] };
    };
    expect(asSp.entityMeta.getX509Certificate('signing')).toEqual([current, next]);

    for (const server of [passgate, other]) {
      const { xml, samlResponse } = await signIn(server);
      xmlsecVerify(xml, pem(current), 'Response');
      xmlsecVerify(xml, pem(current), 'Assertion');
      expect(() => xmlsecVerify(xml, pem(next), 'Response')).toThrow(/xmlsec1 --verify failed/);
      expect(await accepted(samlResponse, current)).toBe(true);
    }
    const list = await cli(['keys', 'list', '--purpose', 'saml']);
    expect(list.stdout).toMatch(/ current\n/);
    expect(list.stdout).toMatch(/ next \(published, not signing yet\)\n/);
  });

  it('keys activate refuses, with the date it will be allowed, before the overlap is over', async () => {
    const refused = await cli(['keys', 'activate', '--purpose', 'saml']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^passgate: the next saml key was published at \S+; service providers may not trust it yet\. It can be activated from \S+, or now with --force\n$/,
    );
    const from = Date.parse(/activated from (\S+),/.exec(refused.stderr)![1]!);
    expect(from - Date.now()).toBeGreaterThan(7 * DAY - 120_000); // saml.keyRollover.overlapDays: 7
    expect(certificates(await metadataOf(passgate.url))).toEqual([current, next]);
  });

  it('after the overlap, keys activate switches both servers to the new key; the old certificate stays published', async () => {
    // The next key was published eight days ago.
    await passgate.core.database.db
      .updateTable('signing_keys')
      .set((eb) => ({ created_at: eb('created_at', '-', 8 * DAY) }))
      .where('purpose', '=', SAML_KEY_PURPOSE)
      .where('activated_at', 'is', null)
      .execute();
    const activated = await cli(['keys', 'activate', '--purpose', 'saml']);
    expect(activated.stderr).toBe('');
    expect(activated.code).toBe(0);
    expect(activated.stdout).toMatch(/^Signing with: \S+$/m);
    const until = Date.parse(/^Replaced \(published until (\S+)\): \S+$/m.exec(activated.stdout)![1]!);
    expect(Math.abs(until - Date.now() - DAY)).toBeLessThan(120_000); // saml.keyRollover.retiredPublishHours: 24

    await bothPublish([next, current]);
    for (const server of [passgate, other]) {
      const { xml, samlResponse } = await signIn(server);
      xmlsecVerify(xml, pem(next), 'Response');
      xmlsecVerify(xml, pem(next), 'Assertion');
      expect(() => xmlsecVerify(xml, pem(current), 'Response')).toThrow(/xmlsec1 --verify failed/);
      expect(await accepted(samlResponse, next)).toBe(true);
      expect(await accepted(samlResponse, current)).toBe(false);
    }
    const list = await cli(['keys', 'list', '--purpose', 'saml']);
    expect(list.stdout).toMatch(/ current\n/);
    expect(list.stdout).toMatch(/ retired, published until \S+\n/);
    expect(list.stdout).not.toMatch(/ next /);
  });

  it('keys activate with nothing to activate, or for OIDC, says what to do', async () => {
    const none = await cli(['keys', 'activate', '--purpose', 'saml']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('there is no next saml key to activate: publish one first with');
    const oidc = await cli(['keys', 'activate', '--purpose', 'oidc']);
    expect(oidc.code).toBe(1);
    expect(oidc.stderr).toContain('oidc keys sign as soon as `keys rotate` makes them: nothing to activate');
  });
});
