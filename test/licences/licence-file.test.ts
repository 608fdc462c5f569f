import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../src/config/errors.js';
import { GRACE_DAYS, Licence, loadLicence } from '../../src/licences/licence.js';
import { signLicence } from '../../src/licences/licence-file.js';
import { content, licenceFile, signedLicenceFile, vendorKeys } from './vendor.js';

const vendor = vendorKeys();
const DAY = 86_400_000;

/** The message of the configuration error loading the licence raises. */
function loadError(settings: Parameters<typeof loadLicence>[0]): string {
  try {
    loadLicence(settings);
  } catch (error) {
    expect(ConfigErrors.is(error, 'CONFIG_INVALID')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('loading the licence did not fail');
}

describe('licence file', () => {
  it('grants the signed counts to the configured customer, with the public key in PEM or as 32 raw bytes in base64', () => {
    const file = signedLicenceFile(vendor.privatePem, { pools: { mfa: 250, reset: 40 } });
    for (const publicKey of [vendor.publicPem, vendor.publicBase64]) {
      const licence = loadLicence({ file, publicKey, customer: 'Example Ltd', rules: [] });
      expect(licence.capacity('mfa')).toBe(250);
      expect(licence.capacity('reset')).toBe(40);
    }
  });

  it('makes both pools unlimited without a file', () => {
    const licence = loadLicence({ rules: [] });
    expect(licence.capacity('mfa')).toBeNull();
    expect(licence.status(Date.now())).toBe('unlimited');
  });

  it('refuses a file whose content was changed after signing (more seats written in)', () => {
    const signed = JSON.parse(signLicence(content(), vendor.privatePem)) as { payload: string };
    const payload = JSON.parse(Buffer.from(signed.payload, 'base64url').toString('utf8'));
    payload.pools.mfa = 100_000;
    const forged = { ...signed, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') };
    const file = licenceFile(JSON.stringify(forged));
    expect(loadError({ file, publicKey: vendor.publicPem, customer: 'Example Ltd', rules: [] })).toBe(
      `licences.file ${file}: the signature does not verify against licences.publicKey (altered, or from another vendor key)`,
    );
  });

  it('refuses a file signed with another key', () => {
    const file = signedLicenceFile(vendorKeys().privatePem);
    expect(loadError({ file, publicKey: vendor.publicPem, customer: 'Example Ltd', rules: [] })).toMatch(
      /the signature does not verify/,
    );
  });

  it('refuses a licence issued to another customer, naming both', () => {
    const file = signedLicenceFile(vendor.privatePem, { customer: 'Other Corp' });
    expect(loadError({ file, publicKey: vendor.publicPem, customer: 'Example Ltd', rules: [] })).toBe(
      `licences.file ${file}: it is issued to "Other Corp", not to licences.customer "Example Ltd"`,
    );
  });

  it('refuses a malformed or missing file and a public key that is not Ed25519, naming each', () => {
    const base = { publicKey: vendor.publicPem, customer: 'Example Ltd', rules: [] };
    const garbage = licenceFile('{"licence": true');
    expect(loadError({ ...base, file: garbage })).toBe(
      `licences.file ${garbage}: is not a Passgate licence file (JSON with format "passgate-licence-1", payload, signature)`,
    );
    expect(loadError({ ...base, file: '/nonexistent/licence.json' })).toBe(
      'licences.file /nonexistent/licence.json: cannot be read (ENOENT)',
    );
    const file = signedLicenceFile(vendor.privatePem);
    expect(loadError({ ...base, file, publicKey: 'c2hvcnQ=' })).toBe(
      'licences.publicKey is not an Ed25519 public key (5 bytes instead of 32)',
    );
  });

  it('is valid through its last day, warns for 30 days after, then blocks new allocations', () => {
    const licence = new Licence(content({ expires: '2027-06-30' }));
    const endOfLastDay = Date.UTC(2027, 6, 1) - 1;
    expect(licence.status(endOfLastDay)).toBe('valid');
    expect(licence.allocationBlocked(endOfLastDay)).toBeUndefined();
    expect(licence.status(endOfLastDay + 1)).toBe('expired-grace');
    expect(licence.summary(endOfLastDay + 1)).toEqual({
      status: 'expired-grace',
      customer: 'Example Ltd',
      expires: '2027-06-30',
      blocksFrom: '2027-07-31',
    });
    const graceOver = endOfLastDay + 1 + GRACE_DAYS * DAY;
    expect(licence.status(graceOver - 1)).toBe('expired-grace');
    expect(licence.status(graceOver)).toBe('expired');
    expect(licence.allocationBlocked(graceOver)).toBe(
      'the licence expired on 2027-06-30 and its 30-day grace period is over',
    );
    // Counts stay what they were: nothing allocated is taken away.
    expect(licence.capacity('mfa')).toBe(10);
  });
});
