import radius, { type EncodedAttribute } from 'radius';
import { CODES, signResponse } from './packet.js';

/** The codes of the responses the door sends. */
export type ResponseCode = 'Access-Accept' | 'Access-Reject' | 'Access-Challenge';

const RESPONSE_CODES: Readonly<Record<ResponseCode, number>> = {
  'Access-Accept': CODES.accessAccept,
  'Access-Reject': CODES.accessReject,
  'Access-Challenge': CODES.accessChallenge,
};
const HEADER = 20;
const MAX_LENGTH = 4096;
/** The longest value of one attribute (RFC 2865 §5). */
const MAX_VALUE = 253;
const MESSAGE_AUTHENTICATOR = 80;
/** Length of a Message-Authenticator attribute: type, length and 16 octets. */
const MA_ATTRIBUTE = 18;
/** Distinct coded attributes kept (the prompts name destinations: bounded, not all kept forever). */
const MAX_CODED = 10_000;

/** A reply attribute as a client file or a policy names it. */
export interface ReplyAttribute {
  /** Dictionary name, e.g. `Session-Timeout`, `Fortinet-Group-Name`. */
  name: string;
  /** The vendor (dictionary name, e.g. `Fortinet`) of a vendor-specific attribute. */
  vendor?: string | undefined;
  value: string | number;
}

/** Request attributes the door reads, by dictionary name (repeated ones as arrays), User-Password revealed. */
export type RequestAttributes = Record<string, unknown>;

/**
 * Attribute coding through the `radius` package (1.1.4), which reads dictionaries in
 * FreeRADIUS format (its own RFC ones, plus the files named in `radius.dictionaries`), decodes
 * attributes by name, decrypts User-Password (RFC 2865 §5.2) and encodes attributes and
 * vendor-specific ones (RFC 2865 §5.26). What it gets wrong is kept away from it: packet
 * framing, Message-Authenticator checks (compared as text there) and the position of the
 * Message-Authenticator in responses (last there, first here) are done in packet.ts. The package
 * keeps its dictionaries in module state: they are loaded once per process, and files added
 * later are merged in.
 */
export class Dictionary {
  private static loaded = new Set<string>();
  /** Coded attributes by vendor, name and value. */
  private readonly codedAttributes = new Map<string, Buffer>();

  constructor(files: readonly string[]) {
    const added = files.filter((file) => !Dictionary.loaded.has(file));
    if (added.length > 0) {
      radius.unload_dictionaries();
      for (const file of added) {
        radius.add_dictionary(file);
        Dictionary.loaded.add(file);
      }
    }
    radius.load_dictionaries();
  }

  /**
   * A response to a request: Message-Authenticator first, then the attributes in order, signed
   * under the secret. Throws on an attribute the dictionaries do not know or cannot code. Each
   * attribute is coded by the package once and its bytes kept (a client's or a rule's reply
   * attributes, the prompts), so that a response is a copy of known bytes and its two hashes.
   */
  encode(
    code: ResponseCode,
    request: { identifier: number; authenticator: Buffer },
    attributes: ReadonlyArray<ReplyAttribute | { name: string; value: Buffer | string | number }>,
    secret: string,
  ): Buffer {
    const coded = attributes.map((attribute) => this.coded(attribute));
    const length = coded.reduce((sum, bytes) => sum + bytes.length, HEADER + MA_ATTRIBUTE);
    if (length > MAX_LENGTH) throw new Error(`a response of ${length} octets is longer than 4096`);
    const packet = Buffer.alloc(length);
    packet[0] = RESPONSE_CODES[code];
    packet[1] = request.identifier;
    packet.writeUInt16BE(length, 2);
    packet[HEADER] = MESSAGE_AUTHENTICATOR;
    packet[HEADER + 1] = MA_ATTRIBUTE;
    let at = HEADER + MA_ATTRIBUTE;
    for (const bytes of coded) at += bytes.copy(packet, at);
    return signResponse(packet, request.authenticator, Buffer.from(secret));
  }

  /** An attribute's bytes on the wire (type, length, value; vendor ones inside Vendor-Specific). */
  private coded(attribute: ReplyAttribute | { name: string; value: unknown }): Buffer {
    const vendor = 'vendor' in attribute ? attribute.vendor : undefined;
    const { name, value } = attribute;
    // Bytes of a standard attribute (State, Proxy-State) change with every request: not kept.
    if (Buffer.isBuffer(value) && !vendor) {
      if (value.length > MAX_VALUE) throw new Error(`${name} is longer than ${MAX_VALUE} octets`);
      return Buffer.concat([Buffer.from([this.typeOf(name), value.length + 2]), value]);
    }
    const key = `${vendor ?? ''}\0${name}\0${typeof value}\0${String(value)}`;
    let bytes = this.codedAttributes.get(key);
    if (!bytes) {
      const whole = radius.encode({
        code: 'Access-Accept',
        identifier: 0,
        authenticator: Buffer.alloc(16),
        attributes: [toEncoded(attribute)],
        secret: 'coding only',
        add_message_authenticator: false,
      });
      bytes = Buffer.from(whole.subarray(HEADER, whole.readUInt16BE(2)));
      if (this.codedAttributes.size >= MAX_CODED) this.codedAttributes.clear();
      this.codedAttributes.set(key, bytes);
    }
    return bytes;
  }

  /** The type number of a standard attribute. */
  private typeOf(name: string): number {
    const id = radius.attr_name_to_id(name);
    if (id === undefined) throw new Error(`unknown attribute "${name}"`);
    return Number(id);
  }

  /** Throws with the reason when the dictionaries cannot code this attribute (checked at load). */
  check(attribute: ReplyAttribute): void {
    if (attribute.vendor && radius.vendor_name_to_id(attribute.vendor) === undefined)
      throw new Error(`unknown vendor "${attribute.vendor}" (add its dictionary to radius.dictionaries)`);
    const vendorId = attribute.vendor ? Number(radius.vendor_name_to_id(attribute.vendor)) : undefined;
    if (radius.attr_name_to_id(attribute.name, vendorId) === undefined)
      throw new Error(
        `unknown attribute "${attribute.name}"${attribute.vendor ? ` of vendor ${attribute.vendor}` : ''}`,
      );
    this.encode('Access-Accept', { identifier: 0, authenticator: Buffer.alloc(16) }, [attribute], 'check');
  }
}

/** Types the `radius` package codes from a string or number itself; the others need bytes. */
const CODED_TYPES = new Set(['string', 'text', 'integer', 'time', 'date', 'ipaddr']);

function toEncoded(attribute: ReplyAttribute | { name: string; value: unknown }): EncodedAttribute {
  const { name } = attribute;
  const vendor = 'vendor' in attribute ? attribute.vendor : undefined;
  const vendorId = vendor ? Number(radius.vendor_name_to_id(vendor)) : undefined;
  const type = radius._attr_to(name, vendorId, 2);
  // `octets` (Class, State ...) is bytes to the package: a text value is sent as its UTF-8 bytes.
  const value =
    typeof attribute.value === 'string' && type && !CODED_TYPES.has(type)
      ? Buffer.from(attribute.value, 'utf8')
      : attribute.value;
  return vendor ? ['Vendor-Specific', vendor, [[name, value]]] : [name, value];
}
