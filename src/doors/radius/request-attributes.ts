import { createHash } from 'node:crypto';
import type { RequestAttributes } from './dictionary.js';
import type { RadiusPacket } from './packet.js';

/** The attributes of an Access-Request the door reads (RFC 2865 §5), by their dictionary names. */
const READ: Readonly<Record<number, string>> = {
  1: 'User-Name',
  2: 'User-Password',
  24: 'State',
  31: 'Calling-Station-Id',
};
const USER_PASSWORD = 2;
const STATE = 24;

/**
 * The attributes the door reads from a request whose framing and Message-Authenticator were
 * checked: text ones as UTF-8, State as bytes, User-Password revealed (a repeated attribute as
 * an array). Read here rather than through the `radius` package, whose decode re-encodes the
 * whole request to check its Message-Authenticator again and decodes every attribute by name:
 * that was most of the door's own CPU per request. Throws on a malformed User-Password.
 */
export function readRequestAttributes(packet: RadiusPacket, secret: Buffer): RequestAttributes {
  const read: Record<string, unknown> = {};
  for (const { type, value } of packet.attributes) {
    const name = READ[type];
    if (!name) continue;
    const decoded =
      type === USER_PASSWORD
        ? revealPassword(value, packet.authenticator, secret)
        : type === STATE
          ? value
          : value.toString('utf8');
    const known = read[name];
    read[name] =
      known === undefined ? decoded : Array.isArray(known) ? [...known, decoded] : [known, decoded];
  }
  return read;
}

/**
 * The User-Password of a request (RFC 2865 §5.2): 16 to 128 octets in 16-octet blocks, each
 * XORed with MD5(secret + the previous block, the Request Authenticator for the first); the
 * padding NULs after the password are dropped.
 */
export function revealPassword(hidden: Buffer, authenticator: Buffer, secret: Buffer): string {
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0)
    throw new Error(`User-Password of ${hidden.length} octets (16 to 128, in blocks of 16)`);
  const plain = Buffer.allocUnsafe(hidden.length);
  let previous = authenticator;
  for (let at = 0; at < hidden.length; at += 16) {
    const mask = createHash('md5').update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) plain[at + i] = hidden[at + i]! ^ mask[i]!;
    previous = hidden.subarray(at, at + 16);
  }
  const end = plain.indexOf(0);
  return plain.toString('utf8', 0, end < 0 ? plain.length : end);
}
