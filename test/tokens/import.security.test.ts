import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src/server/core.js';
import { ImportErrors } from '../../src/tokens/import/errors.js';
import { type ImportOptions, importTokens } from '../../src/tokens/import/import.js';
import { type ReadOptions, readTokenFile } from '../../src/tokens/import/read.js';
import { createTestCore, type TestCore } from '../support/core.js';
import { BACKENDS } from '../support/databases.js';

const RFC6030_PSK = '12345678901234567890123456789012';
const FIGURE6 = readFileSync(new URL('../fixtures/pskc/rfc6030-figure6.xml', import.meta.url), 'utf8');
const AES256 = readFileSync(new URL('../fixtures/pskc/aes256-hmac-sha256.xml', import.meta.url), 'utf8');
const SECRET_CIPHERTEXT = 'AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv';

/** Figure 6 with one byte of the Secret's ciphertext changed: its padding no longer decrypts. */
function tamperedCiphertext(): string {
  const bytes = Buffer.from(SECRET_CIPHERTEXT, 'base64');
  bytes[31]! ^= 0xf0; // last byte of the first block: flips the padding byte of the last one
  return FIGURE6.replace(SECRET_CIPHERTEXT, bytes.toString('base64'));
}

const XXE = `<?xml version="1.0"?>
<!DOCTYPE KeyContainer [<!ENTITY user SYSTEM "file:///etc/passwd">]>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage><Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><UserId>&user;</UserId></Key></KeyPackage>
</KeyContainer>`;

const LAUGHS = `<?xml version="1.0"?>
<!-- a comment first -->
<!doctype lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">&lol2;</KeyContainer>`;

describe.each(BACKENDS)('token import security (%s)', (backend) => {
  let test: TestCore;
  let core: Core;

  beforeEach(async () => {
    test = await createTestCore(backend);
    core = test.core;
    await test.addUser('alice');
  });
  afterEach(() => test?.close());

  const importText = async (text: string, options: ReadOptions & ImportOptions = {}) =>
    importTokens(core, await readTokenFile(text, { format: 'pskc', ...options }), options);
  const withKey = (key: string) => ({ user: 'alice', preSharedKey: async () => key });
  /** The error an import ends with, after checking that the store has no token. */
  const failure = async (run: Promise<unknown>) => {
    let caught: unknown;
    await run.catch((error) => {
      caught = error;
    });
    expect(ImportErrors.is(caught)).toBe(true);
    const row = await core.database.db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(row.n)).toBe(0);
    return caught as Error & { code: string };
  };

  it('refuses a DOCTYPE before parsing: external entities (XXE)', async () => {
    const error = await failure(importText(XXE, { user: 'alice' }));
    expect(error.code).toBe('IMPORT_INVALID_FILE');
    expect(error.message).toMatch(/^the file contains a DOCTYPE or ENTITY declaration; PSKC files need none/);
    expect(error.message).not.toContain('root:');
  });

  it('refuses a DOCTYPE before parsing: entity expansion (billion laughs), in any case', async () => {
    const error = await failure(importText(LAUGHS, { user: 'alice' }));
    expect(error.code).toBe('IMPORT_INVALID_FILE');
    expect(error.message).toContain('DOCTYPE');
  });

  it('refuses a wrong pre-shared key without importing anything', async () => {
    const error = await failure(importText(FIGURE6, withKey('00112233445566778899aabbccddeeff')));
    expect(error.code).toBe('IMPORT_REJECTED');
    expect(error.message).toMatch(/KeyContainer: .*wrong pre-shared key/);
  });

  it('checks the MAC before decrypting: altered ciphertext is a MAC mismatch, not a padding error', async () => {
    const error = await failure(importText(tamperedCiphertext(), withKey(RFC6030_PSK)));
    expect(error.message).toBe(
      [
        'nothing was imported; 1 problem:',
        '  KeyPackage 1 (serial 987654321): Secret: ValueMAC does not match: wrong pre-shared key, or the file was altered',
      ].join('\n'),
    );
  });

  it('refuses an altered or missing ValueMAC, and encrypted values without a MACMethod', async () => {
    const alteredMac = FIGURE6.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Tu+NvtQfmvfJzF6bmQiJqoLRExc=');
    expect((await failure(importText(alteredMac, withKey(RFC6030_PSK)))).message).toContain(
      'Secret: ValueMAC does not match',
    );
    const noMac = FIGURE6.replace(/<ValueMAC>[^<]*<\/ValueMAC>/, '');
    expect((await failure(importText(noMac, withKey(RFC6030_PSK)))).message).toContain(
      'Secret: encrypted without a ValueMAC (RFC 6030 section 6.1.1 requires one)',
    );
    const noMethod = FIGURE6.replace(/<MACMethod[\s\S]*<\/MACMethod>/, '');
    expect((await failure(importText(noMethod, withKey(RFC6030_PSK)))).message).toContain(
      'KeyContainer: the values are encrypted but there is no MACMethod to check them; refused',
    );
  });

  it('asks for the pre-shared key only for encrypted files, and refuses keys that cannot be AES keys', async () => {
    expect((await failure(importText(FIGURE6, { user: 'alice' }))).message).toContain(
      'KeyContainer: the values are encrypted with the pre-shared key "Pre-shared-key", and none was given',
    );
    const short = await failure(importText(FIGURE6, withKey('1234')));
    expect(short).toMatchObject({ code: 'IMPORT_INVALID_KEY' });
    expect(short.message).toMatch(/^the pre-shared key must be 32, 48 or 64 hexadecimal digits/);
    expect((await failure(importText(AES256, withKey(RFC6030_PSK)))).message).toContain(
      'the pre-shared key has 16 bytes; aes-256-cbc needs 32',
    );
  });

  it('never repeats a secret or the key in its messages', async () => {
    const messages = [
      (await failure(importText(tamperedCiphertext(), withKey(RFC6030_PSK)))).message,
      (
        await failure(
          importText(
            FIGURE6.replace('ResponseFormat Length="8"', 'ResponseFormat Length="9"'),
            withKey(RFC6030_PSK),
          ),
        )
      ).message,
    ].join('\n');
    expect(messages).toContain('digits must be 6, 7 or 8');
    for (const secret of [RFC6030_PSK, '3132333435363738393031323334353637383930', SECRET_CIPHERTEXT]) {
      expect(messages).not.toContain(secret);
    }
  });
});
