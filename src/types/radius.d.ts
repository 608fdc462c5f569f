/**
 * Types of the parts of the `radius` package (1.1, RADIUS packet and dictionary coding) Passgate
 * uses; the package ships none. See src/doors/radius/dictionary.ts for what it is trusted with.
 */
declare module 'radius' {
  /** An attribute to encode: `[name, value]`, or `['Vendor-Specific', vendor, [[name, value] ...]]`. */
  export type EncodedAttribute = [string | number, unknown] | [string, string | number, EncodedAttribute[]];

  /** A decoded packet: attributes by dictionary name (repeated ones as arrays). */
  export interface DecodedPacket {
    code: string;
    identifier: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    raw_attributes: Array<[number, Buffer]>;
  }

  const radius: {
    add_dictionary(file: string): void;
    load_dictionaries(): void;
    unload_dictionaries(): void;
    attr_name_to_id(name: string, vendor?: number): string | undefined;
    vendor_name_to_id(name: string): string | undefined;
    /** Internal lookup; `field` 2 is the attribute's type (`string`, `octets`, `integer` ...). */
    _attr_to(name: string, vendor: number | undefined, field: 2): string | undefined;
    decode(args: { packet: Buffer; secret: string }): DecodedPacket;
    verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
    encode(args: {
      code: string;
      identifier: number;
      authenticator?: Buffer;
      attributes: EncodedAttribute[];
      secret: string;
      add_message_authenticator?: boolean;
    }): Buffer;
  };
  export default radius;
}
