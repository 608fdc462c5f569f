import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src/server/core.js';
import type { Token } from '../../src/store/repositories/tokens.js';
import type { User } from '../../src/store/repositories/users.js';
import { ImportErrors } from '../../src/tokens/import/errors.js';
import { describeSummary, type ImportOptions, importTokens } from '../../src/tokens/import/import.js';
import { type ReadOptions, readTokenFile } from '../../src/tokens/import/read.js';
import { hotpCode, timeStep, totpCode } from '../../src/tokens/oath.js';
import { createTestCore, type TestCore } from '../support/core.js';
import { BACKENDS } from '../support/databases.js';

const RFC4226_SECRET = '3132333435363738393031323334353637383930';
const RFC6238_SHA256_SECRET = Buffer.from('12345678901234567890123456789012').toString('hex');
const RFC6030_PSK = '12345678901234567890123456789012';
const AES256_PSK = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const CONTEXT = { address: '192.0.2.10', door: 'test' };

/** The text of a file under test/fixtures. */
function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

/** The message of the import error a run ends with. */
async function rejection(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (error) {
    if (ImportErrors.is(error)) return error.message;
    throw error;
  }
  throw new Error('the import was not rejected');
}

describe.each(BACKENDS)('token import (%s)', (backend) => {
  let test: TestCore;
  let core: Core;
  let alice: User;

  beforeEach(async () => {
    test = await createTestCore(backend);
    core = test.core;
    alice = await test.addUser('alice');
  });
  afterEach(() => test?.close());

  const importText = async (text: string, options: ReadOptions & ImportOptions = {}) =>
    importTokens(core, await readTokenFile(text, options), options);
  const countTokens = async () => {
    const row = await core.database.db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const onlyToken = async (user: User): Promise<Token> => {
    const tokens = await core.tokens.listByUser(user.id);
    expect(tokens).toHaveLength(1);
    return tokens[0]!;
  };
  const verify = (user: User, response: string) =>
    core.secondFactor.verify({ user, response, context: CONTEXT });
  /** Runs a rejected import and checks that the store kept its tokens. */
  const rejected = async (text: string, options: ReadOptions & ImportOptions = {}) => {
    const before = await countTokens();
    const message = await rejection(importText(text, options));
    expect(await countTokens()).toBe(before);
    return message;
  };

  it('imports the HOTP key of RFC 6030 figure 3 for the user its UserId names, giving the RFC 4226 codes', async () => {
    const jsmith = await test.addUser('jsmith');
    const summary = await importText(fixture('pskc/rfc6030-figure3.xml'));
    expect(describeSummary(summary)).toBe('Imported 1 token (1 HOTP) for 1 user.');
    const token = await onlyToken(jsmith);
    expect(token).toMatchObject({
      type: 'hotp',
      serial: '987654321',
      hardware: true,
      status: 'active',
      algorithm: 'SHA1',
      digits: 8,
      counter: 0,
      description: 'Manufacturer',
    });
    const secret = await core.tokens.secretOf(token.id);
    expect(secret.toString('hex')).toBe(RFC4226_SECRET);
    expect(hotpCode(secret, 0, { algorithm: 'SHA1', digits: 8 })).toBe('84755224');
    expect(hotpCode(secret, 0, { algorithm: 'SHA1', digits: 6 })).toBe('755224');
    await verify(jsmith, '84755224');
    expect((await core.tokens.findById(token.id))!.counter).toBe(1);
  });

  it('decrypts the pre-shared-key example of RFC 6030 figure 6 (AES-128-CBC, HMAC-SHA1)', async () => {
    const summary = await importText(fixture('pskc/rfc6030-figure6.xml'), {
      user: 'ALICE',
      preSharedKey: async () => RFC6030_PSK,
    });
    expect(summary).toMatchObject({ tokens: 1, hotp: 1, totp: 0, users: 1 });
    const token = await onlyToken(alice);
    expect((await core.tokens.secretOf(token.id)).toString('hex')).toBe(RFC4226_SECRET);
    await verify(alice, '84755224');
  });

  it('imports AES-256-CBC / HMAC-SHA256 containers with TOTP and HOTP keys for several users', async () => {
    const bob = await test.addUser('bob');
    const summary = await importText(fixture('pskc/aes256-hmac-sha256.xml'), {
      preSharedKey: async () => AES256_PSK,
    });
    expect(describeSummary(summary)).toBe('Imported 3 tokens (2 HOTP, 1 TOTP) for 2 users.');
    const [totp, hotp] = await core.tokens
      .listByUser(alice.id)
      .then((ts) => ts.sort((a, b) => a.serial!.localeCompare(b.serial!)));
    expect(totp).toMatchObject({
      type: 'totp',
      serial: 'EXT00001',
      algorithm: 'SHA256',
      digits: 8,
      period: 30,
    });
    expect(hotp).toMatchObject({ type: 'hotp', serial: 'EXT00002', digits: 6, counter: 5 });
    expect(await onlyToken(bob)).toMatchObject({
      serial: 'EXT00003',
      description: 'Example Tokens OTP c200',
    });
    const seed = await core.tokens.secretOf(totp!.id);
    expect(seed.toString('hex')).toBe(RFC6238_SHA256_SECRET);
    await verify(alice, totpCode(seed, timeStep(test.clock(), 30), 30, { algorithm: 'SHA256', digits: 8 }));
    await verify(bob, '755224');

    const [event] = await core.audit.recent({ type: 'admin.token.import' });
    expect(event).toMatchObject({
      outcome: 'success',
      details: { via: 'cli', format: 'pskc', tokens: 3, hotp: 2, totp: 1, users: 2 },
    });
    const recorded = JSON.stringify(event);
    for (const secret of [RFC4226_SECRET, RFC6238_SHA256_SECRET, 'MTIzNDU2Nzg5MDEyMzQ1Njc4OTA', AES256_PSK]) {
      expect(recorded).not.toContain(secret);
    }
  });

  it('skips the PIN key of RFC 6030 figure 5 and says so', async () => {
    const summary = await importText(fixture('pskc/rfc6030-figure5.xml'), { user: 'alice' });
    expect(describeSummary(summary)).toBe(
      'Imported 1 token (1 HOTP) for 1 user.\n  KeyPackage 2: PIN key skipped (a PIN checked by the device itself)',
    );
    expect(await onlyToken(alice)).toMatchObject({ serial: '987654321', type: 'hotp' });
  });

  it('imports CSV with a BOM, quotes, comments, blank lines, hex and base32 secrets', async () => {
    const bob = await test.addUser('bob');
    const summary = await importText(fixture('csv/tokens.csv'), { name: 'tokens.csv' });
    expect(describeSummary(summary)).toBe('Imported 3 tokens (2 HOTP, 1 TOTP) for 2 users.');
    const mine = await core.tokens.listByUser(alice.id);
    expect(mine.map((t) => [t.serial, t.type, t.algorithm, t.digits, t.period, t.counter]).sort()).toEqual([
      ['CSV0001', 'hotp', 'SHA1', 6, null, 0],
      ['CSV0003', 'totp', 'SHA256', 8, 60, 0],
    ]);
    const bobs = await onlyToken(bob);
    expect(bobs).toMatchObject({ serial: 'CSV0002', type: 'hotp', digits: 8, counter: 3, hardware: true });
    expect((await core.tokens.secretOf(bobs.id)).toString('hex')).toBe(RFC4226_SECRET);
    await verify(bob, hotpCode(Buffer.from(RFC4226_SECRET, 'hex'), 3, { algorithm: 'SHA1', digits: 8 }));
  });

  it('checks everything and imports nothing in a dry run', async () => {
    await test.addUser('jsmith');
    const summary = await importText(fixture('pskc/rfc6030-figure3.xml'), { dryRun: true });
    expect(describeSummary(summary, true)).toBe(
      'Checked 1 token (1 HOTP) for 1 user; nothing imported (dry run).',
    );
    expect(await countTokens()).toBe(0);
  });

  it('lists every problem of RFC 6030 figure 2: no serial, no digits, a 4-byte secret', async () => {
    const message = await rejected(fixture('pskc/rfc6030-figure2.xml'), { user: 'alice' });
    expect(message).toBe(
      [
        'nothing was imported; 3 problems:',
        '  KeyPackage 1: no DeviceInfo/SerialNo',
        '  KeyPackage 1: no AlgorithmParameters/ResponseFormat: the number of digits is unknown',
        '  KeyPackage 1: the secret has 4 bytes; OATH needs 16 to 64 (RFC 4226)',
      ].join('\n'),
    );
  });

  it('rejects a key without a Secret (RFC 6030 figure 4, key derivation)', async () => {
    const message = await rejected(fixture('pskc/rfc6030-figure4.xml'), { user: 'alice' });
    expect(message).toContain('KeyPackage 1 (serial 987654321): no Secret');
  });

  it('refuses passphrase-based encryption (RFC 6030 figure 7) without asking for a key', async () => {
    const asked: string[] = [];
    const message = await rejected(fixture('pskc/rfc6030-figure7.xml'), {
      user: 'alice',
      preSharedKey: async () => {
        asked.push('key');
        return RFC6030_PSK;
      },
    });
    expect(message).toContain(
      'KeyContainer: values encrypted with a password-derived key (RFC 6030 section 6.2) are not supported',
    );
    expect(asked).toEqual([]);
  });

  it('rejects duplicate serials in the file and imports none of the valid keys (RFC 6030 figure 10)', async () => {
    const message = await rejected(fixture('pskc/rfc6030-figure10.xml'), { user: 'alice' });
    expect(message).toBe(
      [
        'nothing was imported; 1 problem:',
        '  KeyPackage 4 (serial 9999999): serial 9999999 is also in KeyPackage 3 (serial 9999999)',
      ].join('\n'),
    );
  });

  it('rejects a serial that is already enrolled', async () => {
    await importText(fixture('pskc/rfc6030-figure6.xml'), {
      user: 'alice',
      preSharedKey: async () => RFC6030_PSK,
    });
    const message = await rejected(fixture('pskc/rfc6030-figure3.xml'), { user: 'alice' });
    expect(message).toContain('KeyPackage 1 (serial 987654321): serial 987654321 is already enrolled');
  });

  it('rejects an unknown user, an unknown algorithm and a TOTP T0 other than 0', async () => {
    expect(await rejected(fixture('pskc/rfc6030-figure3.xml'))).toContain(
      'KeyPackage 1 (serial 987654321): no user "UID=jsmith,DC=example-bank,DC=net"',
    );
    expect(await rejected(fixture('pskc/rfc6030-figure3.xml'), { user: 'nobody' })).toContain(
      '--user: no user "nobody"',
    );
    const ocra = fixture('pskc/rfc6030-figure3.xml').replace(
      'urn:ietf:params:xml:ns:keyprov:pskc:hotp',
      'urn:ietf:params:xml:ns:keyprov:pskc:OCRA-1:HOTP-SHA512-8:C-QN08',
    );
    expect(await rejected(ocra, { user: 'alice' })).toContain(
      'KeyPackage 1 (serial 987654321): algorithm urn:ietf:params:xml:ns:keyprov:pskc:OCRA-1:HOTP-SHA512-8:C-QN08 is not supported (HOTP or TOTP)',
    );
    const t0 = fixture('pskc/rfc6030-figure3.xml')
      .replace('urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'urn:ietf:params:xml:ns:keyprov:pskc#totp')
      .replace('<Counter>', '<Time><PlainValue>1000</PlainValue></Time><Counter>');
    expect(await rejected(t0, { user: 'alice' })).toContain(
      'Time (T0) is 1000; only TOTP tokens counting from the Unix epoch (T0 = 0) are supported',
    );
  });

  it('rejects a key without an owner when neither the file nor --user names one', async () => {
    const message = await rejected(
      fixture('pskc/rfc6030-figure10.xml').replace(/<SerialNo>9999999/, '<SerialNo>1'),
    );
    expect(message).toContain(
      'KeyPackage 1 (serial 654321): no owner: name one in the file (UserId, user column) or with --user',
    );
  });

  it('rejects a CSV file with a bad row in the middle, naming its line, and imports none of it', async () => {
    const message = await rejected(fixture('csv/bad-row.csv'), { name: 'bad-row.csv' });
    expect(message).toBe(
      [
        'nothing was imported; 2 problems:',
        '  line 4: the secret has 4 bytes; OATH needs 16 to 64 (RFC 4226)',
        '  line 4: digits must be 6, 7 or 8',
      ].join('\n'),
    );
  });

  it('reports CSV problems by line: owners, duplicate serials, types, secrets, columns', async () => {
    const csv = [
      'serial,secret,type,digits,step,owner',
      'A1,3132333435363738393031323334353637383930,hotp,6,,alice',
      'A2,3132333435363738393031323334353637383930,hotp,6,,nobody',
      '# a comment line',
      'A1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,totp,6,30,alice',
      'A3,not-a-secret!,sms,x,30,alice',
      'A4,ABCDEFABCDEFABCDEFABCDEFABCDEFAB,totp,6,30,alice',
      '"A5,with a comma",3132333435363738393031323334353637383930,totp,6',
    ].join('\n');
    const message = await rejected(csv, { format: 'csv', userColumn: 'owner' });
    expect(message.split('\n').slice(1)).toEqual([
      '  line 3: no user "nobody"',
      '  line 5: serial A1 is also in line 2',
      '  line 6: type "sms" must be hotp or totp',
      '  line 6: the secret is neither hexadecimal nor base32',
      '  line 6: digits "x" is not a whole number',
      '  line 7: the secret could be hex or base32; say which with --secret-encoding',
      '  line 8: 4 fields where the header has 6',
      '  line 8: no owner: name one in the file (UserId, user column) or with --user',
    ]);
    expect(await rejected('serial,secret,type,colour\n', { format: 'csv' })).toContain(
      'line 1 (header): unknown column(s) colour',
    );
    expect(await rejected('serial,type\n', { format: 'csv' })).toContain(
      'line 1 (header): missing column(s) secret',
    );
    expect(await rejected('serial,secret,type\nA,"unclosed\n', { format: 'csv' })).toMatch(
      /line \d: Quote Not Closed/,
    );
  });

  it('lists at most 20 problems and counts the rest', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `S${i},31323334,hotp,6,,alice`);
    const message = await rejected(['serial,secret,type,digits,step,user', ...rows].join('\n'), {
      format: 'csv',
    });
    const lines = message.split('\n');
    expect(lines[0]).toBe('nothing was imported; 25 problems:');
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe('  and 5 more');
  });

  it('refuses a file that is not well-formed XML or not PSKC', async () => {
    await expect(importText('<KeyContainer Version="1.0"><KeyPackage></KeyContainer>')).rejects.toMatchObject(
      {
        code: 'IMPORT_INVALID_FILE',
        message: expect.stringMatching(/^the file is not well-formed XML at line 1, column \d+: /),
      },
    );
    expect(await rejected('<KeyContainer Version="1.0"/>', { format: 'pskc' })).toContain(
      'KeyContainer: not a PSKC file: the root element must be KeyContainer in namespace urn:ietf:params:xml:ns:keyprov:pskc',
    );
  });
});
