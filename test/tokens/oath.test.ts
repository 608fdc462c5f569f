import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  hotpCode,
  matchHotp,
  matchTotp,
  OATH_ALGORITHMS,
  OATH_DIGITS,
  totpCode,
} from '../../src/tokens/oath.js';
import { parseSecret, toBase32 } from '../../src/tokens/secrets.js';

const RFC_SEED = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;

describe('HOTP known answers (RFC 4226 appendix D)', () => {
  const expected = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ];
  it.each(expected.map((code, counter) => [counter, code] as const))(
    'counter %i gives %s',
    (counter, code) => {
      expect(hotpCode(RFC_SEED.SHA1, counter, { algorithm: 'SHA1', digits: 6 })).toBe(code);
    },
  );

  it('finds a code ahead of the counter within the window, and not beyond it', () => {
    const params = { algorithm: 'SHA1', digits: 6 } as const;
    expect(matchHotp(RFC_SEED.SHA1, '520489', 0, 10, params)).toBe(9);
    expect(matchHotp(RFC_SEED.SHA1, '520489', 0, 8, params)).toBeUndefined();
    expect(matchHotp(RFC_SEED.SHA1, '755224', 1, 10, params)).toBeUndefined();
    expect(matchHotp(RFC_SEED.SHA1, '75522', 0, 10, params)).toBeUndefined();
    expect(matchHotp(RFC_SEED.SHA1, '75522x', 0, 10, params)).toBeUndefined();
  });
});

describe('TOTP known answers (RFC 6238 appendix B)', () => {
  const vectors: Array<[number, string, string, string]> = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('at %i s: SHA1 %s, SHA256 %s, SHA512 %s', (time, sha1, sha256, sha512) => {
    const step = Math.floor(time / 30);
    expect(totpCode(RFC_SEED.SHA1, step, 30, { algorithm: 'SHA1', digits: 8 })).toBe(sha1);
    expect(totpCode(RFC_SEED.SHA256, step, 30, { algorithm: 'SHA256', digits: 8 })).toBe(sha256);
    expect(totpCode(RFC_SEED.SHA512, step, 30, { algorithm: 'SHA512', digits: 8 })).toBe(sha512);
  });

  it('matches ±window steps around the expected one, and reports the step', () => {
    const params = { algorithm: 'SHA1', digits: 8 } as const;
    const step = Math.floor(1111111111 / 30);
    expect(matchTotp(RFC_SEED.SHA1, '14050471', step, 1, 30, params)).toBe(step);
    expect(matchTotp(RFC_SEED.SHA1, '14050471', step + 1, 1, 30, params)).toBe(step);
    expect(matchTotp(RFC_SEED.SHA1, '14050471', step - 1, 1, 30, params)).toBe(step);
    expect(matchTotp(RFC_SEED.SHA1, '14050471', step + 2, 1, 30, params)).toBeUndefined();
  });
});

describe('codes agree with oathtool', () => {
  const secret = parseSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  const base32 = toBase32(secret);
  const oathtool = (args: string[]) => {
    try {
      return execFileSync('oathtool', args, { encoding: 'utf8' }).trim();
    } catch (error) {
      throw new Error(
        `oathtool is needed for this test (apt-get install oathtool): ${(error as Error).message}`,
      );
    }
  };
  const combos = OATH_ALGORITHMS.flatMap((algorithm) =>
    OATH_DIGITS.flatMap((digits) => [30, 60].map((period) => ({ algorithm, digits, period }))),
  );

  it.each(combos)('TOTP $algorithm, $digits digits, $period s', ({ algorithm, digits, period }) => {
    for (const time of [0, 1_700_000_000, 1_795_000_123]) {
      const expected = oathtool([
        `--totp=${algorithm}`,
        '-d',
        String(digits),
        '-s',
        String(period),
        '--base32',
        base32,
        '-N',
        `@${time}`,
      ]);
      expect(totpCode(secret, Math.floor(time / period), period, { algorithm, digits })).toBe(expected);
    }
  });

  it.each(OATH_DIGITS)('HOTP SHA1, %i digits, counters 0..20', (digits) => {
    const expected = oathtool(['-d', String(digits), '-c', '0', '-w', '20', '--base32', base32]).split('\n');
    expect(expected).toHaveLength(21);
    for (const [counter, code] of expected.entries()) {
      expect(hotpCode(secret, counter, { algorithm: 'SHA1', digits })).toBe(code);
    }
  });
});

describe('secrets', () => {
  it('reads base32 in any case with spaces and padding, and hex', () => {
    expect(Buffer.from(parseSecret('gezd gnbv gy3t qojq gezd gnbv gy3t qojq===')).toString()).toBe(
      '12345678901234567890',
    );
    expect(Buffer.from(parseSecret('3132333435363738393031323334353637383930', 'hex')).toString()).toBe(
      '12345678901234567890',
    );
  });

  it('refuses secrets shorter than 128 bits or not in the encoding, without echoing them', () => {
    expect(() => parseSecret('GEZDGNBVGY3TQOJQ')).toThrow(/10 bytes; OATH needs 16 to 64/);
    expect(() => parseSecret('NOT*BASE32!!')).toThrow(/not base32/);
    expect(() => parseSecret('zz', 'hex')).toThrow(/not hexadecimal/);
    try {
      parseSecret('SECRETSECRETSECRET1');
    } catch (error) {
      expect(String(error)).not.toContain('SECRETSECRETSECRET1');
    }
  });
});
