import type { Entry } from 'ldapts';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { DirectoryUser } from '../../store/repositories/users.js';
import { guidToBase64, guidToUuid } from './object-guid.js';

/**
 * ms-DS-ConsistencyGuid as AD names it in its answers: ldapts matches the names of binary
 * attributes case-sensitively, and a value it decodes as text is lost.
 */
const CONSISTENCY_GUID = 'mS-DS-ConsistencyGuid';

/** Attributes read for every user. */
export function userAttributes(config: ActiveDirectoryConfig): string[] {
  // The ImmutableID's source (objectGUID or ms-DS-ConsistencyGuid) is read below, by AD's spelling.
  const { immutableId: _source, ...named } = config.attributes;
  const mapped = Object.values(named);
  return [
    ...new Set([
      'objectGUID',
      CONSISTENCY_GUID,
      'sAMAccountName',
      'userPrincipalName',
      'givenName',
      'sn',
      'userAccountControl',
      'accountExpires',
      'pwdLastSet',
      'msDS-ResultantPSO',
      ...mapped,
    ]),
  ];
}

/** Attributes that are binary in AD and must not be decoded as text. */
export const BINARY_ATTRIBUTES = ['objectGUID', CONSISTENCY_GUID];

const ACCOUNTDISABLE = 0x2;
/** accountExpires: 100-ns intervals since 1601; 0 and 2^63-1 mean "never". */
const NEVER = ['0', '9223372036854775807'];
const EPOCH_1601_MS = Date.UTC(1601, 0, 1);

/** Milliseconds since 1970 of an AD FILETIME value, or null for "never". */
export function fileTimeToMs(value: string | undefined): number | null {
  if (!value || NEVER.includes(value)) return null;
  return Number(BigInt(value) / 10_000n) + EPOCH_1601_MS;
}

/** A phone number in E.164 (+33612345678), or undefined when it cannot be one. */
export function toE164(phone: string, defaultCountry: string): string | undefined {
  const parsed = parsePhoneNumberFromString(phone, defaultCountry as never);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** An attribute's values, whatever the case of its name in AD's answer or in the configuration. */
const values = (entry: Entry, attribute: string) => {
  const name = attribute.toLowerCase();
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : entry[key];
};

const text = (entry: Entry, attribute: string): string | undefined => {
  const value = values(entry, attribute);
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
};

const bytes = (entry: Entry, attribute: string): Buffer | undefined => {
  const value = values(entry, attribute);
  const first = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(first) && first.length > 0 ? first : undefined;
};

/** Problems found while mapping an entry (an invalid phone number ...), reported, never hidden. */
export interface MappingProblem {
  dn: string;
  attribute: string;
  value: string;
  reason: string;
}

/**
 * A directory user from an AD entry and the names of its groups (nested membership resolved by
 * the caller). objectGUID gives the stable id (UUID) and the ImmutableID (base64); phone numbers
 * are normalised to E.164; an account is disabled when AD says so or it has expired.
 */
export function toDirectoryUser(
  entry: Entry,
  groups: string[],
  config: ActiveDirectoryConfig,
  now: number,
  problems: MappingProblem[] = [],
): DirectoryUser {
  const guid = bytes(entry, 'objectGUID');
  if (!guid) throw new Error(`${entry.dn} has no objectGUID`);
  const map = config.attributes;
  const consistency = bytes(entry, CONSISTENCY_GUID);
  const phone = (attribute: string) => {
    const raw = text(entry, attribute);
    if (!raw) return null;
    const normalised = toE164(raw, config.sync.defaultCountry);
    if (!normalised)
      problems.push({ dn: entry.dn, attribute, value: raw, reason: 'not a valid phone number' });
    return normalised ?? null;
  };
  const expires = fileTimeToMs(text(entry, 'accountExpires'));
  const uac = Number(text(entry, 'userAccountControl') ?? 0);
  return {
    externalId: guidToUuid(guid),
    username: (text(entry, map.username) ?? text(entry, 'sAMAccountName') ?? '').toLowerCase(),
    dn: entry.dn,
    displayName: text(entry, map.displayName) ?? null,
    email: text(entry, map.email) ?? null,
    mobile: phone(map.mobile),
    groups,
    disabled: (uac & ACCOUNTDISABLE) !== 0 || (expires !== null && expires <= now),
    attributes: {
      userPrincipalName: text(entry, 'userPrincipalName') ?? null,
      sAMAccountName: text(entry, 'sAMAccountName') ?? null,
      givenName: text(entry, 'givenName') ?? null,
      sn: text(entry, 'sn') ?? null,
      telephoneNumber: phone(map.telephone),
      preferredLanguage: text(entry, map.language) ?? null,
      objectGuid: guidToBase64(guid),
      consistencyGuid: consistency ? guidToBase64(consistency) : null,
      immutableId: guidToBase64(
        map.immutableId === 'ms-DS-ConsistencyGuid' && consistency ? consistency : guid,
      ),
      accountExpires: expires,
      pwdLastSet: fileTimeToMs(text(entry, 'pwdLastSet')),
      userAccountControl: uac,
    },
  };
}
