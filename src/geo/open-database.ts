import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader, type Response } from 'maxmind';
import { ConfigErrors } from '../config/errors.js';
import { createRecordCache } from './record-cache.js';
import { countryOfRecord } from './record-shape.js';

/** Decoded records kept in memory: every record of a country database, the busiest of a City one. */
const RECORD_CACHE_SIZE = 10_000;

/** Well-known public addresses (Google, Cloudflare, RIPE NCC): a country database knows at least one. */
const PROBES = ['8.8.8.8', '1.1.1.1', '193.0.6.139'];

/** The CC0 ip-location-db geo-whois-asn-country database shipped as a dependency (IPv4 and IPv6). */
export function bundledDatabaseFile(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json');
  return path.join(path.dirname(manifest), 'geo-whois-asn-country.mmdb');
}

/**
 * Reads a .mmdb file into memory, synchronously so the composition root stays synchronous, and
 * checks it is a country database. Any problem is a configuration error naming `geo.databaseFile`,
 * so a wrong file stops the start (CLI exit code 2) instead of silently matching no country.
 */
export function openDatabase(databaseFile: string | undefined): Reader<Response> {
  const file = path.resolve(databaseFile ?? bundledDatabaseFile());
  const fail = (problem: string, cause?: unknown): never => {
    throw ConfigErrors.CONFIG_INVALID({ detail: `geo.databaseFile: ${file} ${problem}`, cause });
  };
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (error) {
    return fail(readProblem(error), error);
  }
  if (buffer[0] === 0x1f && buffer[1] === 0x8b) {
    fail('is gzip-compressed (a .tar.gz download?): extract the .mmdb file from it');
  }
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(buffer, { cache: createRecordCache(RECORD_CACHE_SIZE) });
  } catch (error) {
    return fail('is not a MaxMind database (.mmdb)', error);
  }
  if (!PROBES.some((probe) => countryOfRecord(safeGet(reader, probe)) !== null)) {
    fail(
      `has no country data (database type "${reader.metadata.databaseType}"): expected a GeoLite2/GeoIP2 Country or City database`,
    );
  }
  return reader;
}

function safeGet(reader: Reader<Response>, address: string): unknown {
  try {
    return reader.get(address);
  } catch {
    return null;
  }
}

function readProblem(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EISDIR':
      return 'is a folder, not a .mmdb file';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    default:
      return `cannot be read: ${(error as Error).message}`;
  }
}
