import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../../src/config/errors.js';
import { openCountryLookup } from '../../src/geo/country-lookup.js';
import { bundledDatabaseFile } from '../../src/geo/open-database.js';
import { countryOfRecord } from '../../src/geo/record-shape.js';
import { runCli, writeConfig } from '../support/cli.js';
import { mmdbWith } from './mmdb.js';

const folder = mkdtempSync(path.join(os.tmpdir(), 'passgate-geo-'));

/** Writes `content` to a file of the test folder and returns its path. */
function file(name: string, content: Buffer | string): string {
  const target = path.join(folder, name);
  writeFileSync(target, content);
  return target;
}

/** The message of the configuration error that opening `databaseFile` raises. */
function openError(databaseFile: string): string {
  try {
    openCountryLookup({ databaseFile });
  } catch (error) {
    expect(ConfigErrors.is(error, 'CONFIG_INVALID')).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`opening ${databaseFile} did not fail`);
}

describe('country lookup with the bundled database', () => {
  const geo = openCountryLookup({});

  // Long-stable allocations: Google, RIPE NCC, Deutsche Telekom, IIJ, Sakura Internet, Quad9.
  it.each([
    ['8.8.8.8', 'US'],
    ['9.9.9.9', 'US'],
    ['193.0.6.139', 'NL'],
    ['194.25.2.129', 'DE'],
    ['210.130.1.1', 'JP'],
    ['133.242.0.3', 'JP'],
  ])('finds the country of the IPv4 address %s (%s)', (address, country) => {
    expect(geo.country(address)).toBe(country);
  });

  it.each([
    ['2001:4860:4860::8888', 'US'],
    ['2001:67c:2e8::2', 'NL'],
    ['2003::1', 'DE'],
    ['2001:240::1', 'JP'],
    ['2001:4860:4860:0000:0000:0000:0000:8844', 'US'],
    ['2001:67C:2E8::2', 'NL'],
  ])('finds the country of the IPv6 address %s (%s)', (address, country) => {
    expect(geo.country(address)).toBe(country);
  });

  it.each([
    ['::ffff:193.0.6.139', 'NL'],
    ['::FFFF:8.8.8.8', 'US'],
    ['::ffff:c100:68b', 'NL'],
    ['0:0:0:0:0:ffff:194.25.2.129', 'DE'],
  ])('looks up the IPv4-mapped address %s as IPv4 (%s)', (address, country) => {
    expect(geo.country(address)).toBe(country);
  });

  // The bundled whois data answers AU for 192.168/16 and 172.16/12 and JP for 2001:db8::/32:
  // special-purpose ranges must be filtered before the lookup, not left to the database.
  it.each([
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '127.0.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.7',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '2001::1',
    '2002:c100:68b::1',
    '3fff::1',
    '64:ff9b::808:808',
    '::ffff:10.0.0.1',
    '::ffff:192.168.0.1',
  ])('has no country for the private or special-purpose address %s', (address) => {
    expect(geo.country(address)).toBeNull();
  });

  it.each([
    '',
    'nonsense',
    'localhost',
    '1.2.3',
    '256.1.1.1',
    '08.8.8.8',
    ' 8.8.8.8',
    '8.8.8.8 ',
    '8.8.8.8/32',
    '8.8.8.8:443',
    '2001:4860::8888::1',
    '[2001:4860:4860::8888]',
    `${'2001:'.repeat(10_000)}1`,
  ])('has no country, and does not throw, for the malformed input %j', (address) => {
    expect(geo.country(address)).toBeNull();
  });

  it('has no country for values that are not strings at all', () => {
    for (const value of [undefined, null, 42, {}]) expect(geo.country(value as never)).toBeNull();
  });
});

describe('geo.databaseFile', () => {
  it('reads a GeoIP2 Country or City file (country.iso_code)', () => {
    const databaseFile = file(
      'GeoLite2-City.mmdb',
      mmdbWith(
        {
          city: { names: { en: 'Berlin' } },
          country: { iso_code: 'DE', names: { en: 'Germany' } },
          registered_country: { iso_code: 'SE' },
        },
        'GeoLite2-City',
      ),
    );
    const geo = openCountryLookup({ databaseFile });
    expect(geo.country('8.8.8.8')).toBe('DE');
    expect(geo.country('2001:4860:4860::8888')).toBe('DE');
    expect(geo.country('::ffff:8.8.8.8')).toBe('DE');
    expect(geo.country('192.168.1.1')).toBeNull();
  });

  it('falls back to registered_country when a GeoIP2 record has no country', () => {
    const databaseFile = file('anycast.mmdb', mmdbWith({ registered_country: { iso_code: 'SE' } }));
    expect(openCountryLookup({ databaseFile }).country('8.8.8.8')).toBe('SE');
  });

  it('uses the configured file, and answers nothing for IPv6 from an IPv4-only one', () => {
    const ipv4Only = path.join(path.dirname(bundledDatabaseFile()), 'geo-whois-asn-country-ipv4.mmdb');
    const geo = openCountryLookup({ databaseFile: ipv4Only });
    expect(geo.country('193.0.6.139')).toBe('NL');
    expect(geo.country('::ffff:193.0.6.139')).toBe('NL');
    expect(geo.country('2001:67c:2e8::2')).toBeNull(); // the file itself would say a wrong country
  });

  it('stops the start with a clear error when the file does not exist', () => {
    const missing = path.join(folder, 'GeoLite2-Country.mmdb');
    expect(openError(missing)).toBe(`geo.databaseFile: ${missing} does not exist`);
  });

  it('stops the start with a clear error when the file is no MaxMind database', () => {
    const text = file('countries.csv', '1.0.0.0,1.0.0.255,AU\n');
    expect(openError(text)).toBe(`geo.databaseFile: ${text} is not a MaxMind database (.mmdb)`);
    const empty = file('empty.mmdb', '');
    expect(openError(empty)).toBe(`geo.databaseFile: ${empty} is not a MaxMind database (.mmdb)`);
  });

  it('tells an administrator to extract a downloaded archive', () => {
    const archive = file('GeoLite2-Country.tar.gz', gzipSync(mmdbWith({ country: { iso_code: 'DE' } })));
    expect(openError(archive)).toMatch(/^geo\.databaseFile: .* is gzip-compressed .*extract the \.mmdb file/);
  });

  it('stops the start with a clear error when the path is a folder', () => {
    const directory = path.join(folder, 'geoip');
    mkdirSync(directory, { recursive: true });
    expect(openError(directory)).toBe(`geo.databaseFile: ${directory} is a folder, not a .mmdb file`);
  });

  it('refuses a database without countries, such as GeoLite2 ASN', () => {
    const asn = file(
      'GeoLite2-ASN.mmdb',
      mmdbWith({ autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' }, 'GeoLite2-ASN'),
    );
    expect(openError(asn)).toMatch(
      /^geo\.databaseFile: .* has no country data \(database type "GeoLite2-ASN"\)/,
    );
  });

  it('makes passgate start exit with code 2 and one line naming the key', async () => {
    const missing = path.join(folder, 'no-such.mmdb');
    const { file: config } = writeConfig({ server: { port: 0 }, geo: { databaseFile: missing } });
    const run = await runCli(['start', '--config', config]);
    expect(run.code).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l && !l.startsWith('oidc-provider WARNING'));
    expect(lines).toEqual([`passgate: configuration error: geo.databaseFile: ${missing} does not exist`]);
  });
});

describe('record shapes', () => {
  it.each([
    ['ip-location-db', { country_code: 'US' }, 'US'],
    ['GeoIP2 Country', { country: { iso_code: 'FR' }, registered_country: { iso_code: 'DE' } }, 'FR'],
    ['GeoIP2 without a located country', { registered_country: { iso_code: 'DE' } }, 'DE'],
    ['IPinfo', { country: 'CH', country_name: 'Switzerland' }, 'CH'],
    ['a lower-case code', { country_code: 'gb' }, 'GB'],
    ['Kosovo (XK, user-assigned)', { country_code: 'XK' }, 'XK'],
  ])('reads the country of a %s record', (_shape, record, country) => {
    expect(countryOfRecord(record)).toBe(country);
  });

  it.each([
    ['no record', null],
    ['a continent-only record', { continent: { code: 'EU' } }],
    ['the European Union pseudo-code', { country_code: 'EU' }],
    ['the withdrawn Netherlands Antilles', { country_code: 'AN' }],
    ['an unknown code', { country_code: 'ZZ' }],
    ['a country name instead of a code', { country: 'Germany' }],
    ['a number', { country_code: 49 }],
  ])('has no country for %s', (_case, record) => {
    expect(countryOfRecord(record)).toBeNull();
  });
});
