import radius, { type EncodedAttribute } from 'radius';
import { signResponse } from './packet.js';

/** A reply attribute as a client file or a policy names it. */
export interface ReplyAttribute {
  /** Dictionary name, e.g. `Session-Timeout`, `Fortinet-Group-Name`. */
  name: string;
  /** The vendor (dictionary name, e.g. `Fortinet`) of a vendor-specific attribute. */
  vendor?: string | undefined;
  value: string | number;
}

/** Request attributes by dictionary name (repeated ones as arrays), User-Password decrypted. */
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

  /** The attributes of a request whose framing and Message-Authenticator were checked. */
  decode(packet: Buffer, secret: string): RequestAttributes {
    return radius.decode({ packet, secret }).attributes;
  }

  /**
   * A response to a request: Message-Authenticator first, then the attributes in order, signed
   * under the secret. Throws on an attribute the dictionaries do not know or cannot code.
   */
  encode(
    code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge',
    request: { identifier: number; authenticator: Buffer },
    attributes: ReadonlyArray<ReplyAttribute | { name: string; value: Buffer | string | number }>,
    secret: string,
  ): Buffer {
    const unsigned = radius.encode({
      code,
      identifier: request.identifier,
      authenticator: request.authenticator,
      attributes: [['Message-Authenticator', Buffer.alloc(16)], ...attributes.map(toEncoded)],
      secret,
      add_message_authenticator: false,
    });
    return signResponse(unsigned, request.authenticator, Buffer.from(secret));
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
