import type { IPv4, IPv6 } from 'ipaddr.js';

/**
 * What the rules of an Authentication Policy look at: one login's context, resolved once before
 * any rule runs (the address parsed, its country looked up, the user's groups and tokens read),
 * so that evaluating even hundreds of rules is plain comparisons.
 */
export interface LoginFacts {
  /** The source address as the door established it (trusted proxies resolved). */
  address: string;
  /** The parsed address (IPv4-mapped IPv6 as IPv4), or null when it is not an IP address. */
  ip: IPv4 | IPv6 | null;
  /** ISO 3166 country of the address, or null (private, unknown). */
  country: string | null;
  /** Continent code of that country (EU, NA, SA, AS, AF, OC, AN), or null. */
  continent: string | null;
  /** The door: oidc, saml, radius ... */
  door: string;
  /** The application at that door: OIDC client id, SAML SP name, RADIUS client. */
  application: string;
  /** The user's groups, lower-cased (nested membership included for AD). */
  groups: ReadonlySet<string>;
  /** Types of the usable second factors the user has (totp, hotp, sms, voice, email, backup). */
  tokenTypes: ReadonlySet<string>;
  /** The address is in a network this user has learned to be trusted. */
  trustedAddress: boolean;
  /** No earlier login of this user came from this country. */
  newCountry: boolean;
  /** No earlier login of this user came from this browser or device. */
  newDevice: boolean;
  /** When the login happens (epoch ms). */
  at: number;
}
