import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** RADIUS packet codes Passgate reads or writes (RFC 2865 §3, RFC 5997). */
export const CODES = {
  accessRequest: 1,
  accessAccept: 2,
  accessReject: 3,
  accessChallenge: 11,
  statusServer: 12,
} as const;

/** Attribute types the packet layer itself handles (RFC 2865 §5, RFC 3579 §3.2). */
export const ATTRIBUTES = { proxyState: 33, messageAuthenticator: 80 } as const;

const HEADER = 20;
const MAX_LENGTH = 4096;
const MA_LENGTH = 16;

/** One attribute as it is on the wire. */
export interface RawAttribute {
  type: number;
  value: Buffer;
}

/** A packet whose framing is valid (RFC 2865 §3): header fields and its attributes in order. */
export interface RadiusPacket {
  code: number;
  identifier: number;
  authenticator: Buffer;
  /** The packet's bytes up to its Length field (padding after it ignored). */
  bytes: Buffer;
  attributes: RawAttribute[];
}

/**
 * Reads a datagram's header and attribute framing, or returns why it must be discarded
 * silently: shorter than its Length, a Length outside 20–4096, or an attribute that is shorter
 * than 2 octets or runs past the packet (RFC 2865 §3 and §5).
 */
export function parsePacket(datagram: Buffer): RadiusPacket | string {
  if (datagram.length < HEADER) return 'shorter than a header';
  const length = datagram.readUInt16BE(2);
  if (length < HEADER || length > MAX_LENGTH) return `length ${length} outside 20-4096`;
  if (datagram.length < length) return 'shorter than its length field';
  const bytes = datagram.subarray(0, length);
  const attributes: RawAttribute[] = [];
  for (let offset = HEADER; offset < length; ) {
    if (offset + 2 > length) return 'attribute header runs past the packet';
    const size = bytes[offset + 1]!;
    if (size < 2 || offset + size > length) return `attribute ${bytes[offset]} has length ${size}`;
    attributes.push({ type: bytes[offset]!, value: bytes.subarray(offset + 2, offset + size) });
    offset += size;
  }
  return {
    code: bytes[0]!,
    identifier: bytes[1]!,
    authenticator: bytes.subarray(4, HEADER),
    bytes,
    attributes,
  };
}

/**
 * Whether a request's Message-Authenticator is present and right (RFC 3579 §3.2): exactly one,
 * 16 octets, equal to HMAC-MD5 under the shared secret of the packet with it zeroed. Compared in
 * constant time; the `radius` package compares them as UTF-8 text, where different bytes can
 * compare equal, so its check is not relied on.
 */
export function messageAuthenticatorOf(
  packet: RadiusPacket,
  secret: Buffer,
): 'valid' | 'missing' | 'invalid' {
  const found = packet.attributes.filter((a) => a.type === ATTRIBUTES.messageAuthenticator);
  if (found.length === 0) return 'missing';
  const [attribute] = found;
  if (found.length > 1 || attribute!.value.length !== MA_LENGTH) return 'invalid';
  const copy = Buffer.from(packet.bytes);
  const at = attribute!.value.byteOffset - packet.bytes.byteOffset;
  copy.fill(0, at, at + MA_LENGTH);
  const expected = createHmac('md5', secret).update(copy).digest();
  return timingSafeEqual(expected, attribute!.value) ? 'valid' : 'invalid';
}

/**
 * Signs a response whose attributes begin with a zeroed Message-Authenticator (as every
 * Access-Accept, -Reject and -Challenge must, against BLAST-RADIUS, CVE-2024-3596): the
 * Message-Authenticator over the packet with the request's authenticator in place (RFC 3579
 * §3.2), then the Response Authenticator over the result (RFC 2865 §3). Returns a new buffer.
 */
export function signResponse(unsigned: Buffer, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  const packet = Buffer.from(unsigned);
  if (packet[HEADER] !== ATTRIBUTES.messageAuthenticator || packet[HEADER + 1] !== MA_LENGTH + 2) {
    throw new Error('a response must begin with its Message-Authenticator');
  }
  packet.fill(0, HEADER + 2, HEADER + 2 + MA_LENGTH);
  requestAuthenticator.copy(packet, 4);
  createHmac('md5', secret)
    .update(packet)
    .digest()
    .copy(packet, HEADER + 2);
  createHash('md5').update(packet).update(secret).digest().copy(packet, 4);
  return packet;
}
