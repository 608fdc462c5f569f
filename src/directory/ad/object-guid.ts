/**
 * AD's objectGUID is 16 raw bytes. Microsoft 365 wants them in base64 (the ImmutableID); the
 * usual text form is a UUID whose first three groups are the bytes in little-endian order.
 */
export function guidToBase64(bytes: Buffer): string {
  return bytes.toString('base64');
}

/** The UUID text of an objectGUID, as AD tools show it. */
export function guidToUuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error(`objectGUID must be 16 bytes, got ${bytes.length}`);
  const h = bytes.toString('hex');
  // The first three groups little-endian, byte by byte; the last two as they are.
  const swap = (from: number, to: number) => {
    let out = '';
    for (let i = to - 2; i >= from; i -= 2) out += h.slice(i, i + 2);
    return out;
  };
  return `${swap(0, 8)}-${swap(8, 12)}-${swap(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The 16 bytes of an objectGUID from its UUID text (the inverse of guidToUuid). */
export function uuidToGuid(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  const bytes = Buffer.from(hex, 'hex');
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}
