/**
 * Writes the smallest valid MaxMind DB (format 2.0) there is: a one-node IPv6 search tree whose
 * both branches lead to one record, so every address, IPv4 and IPv6, answers with `record`. Enough
 * to feed the real reader a GeoIP2-shaped (or ASN-shaped) file without shipping one.
 */
export function mmdbWith(record: Record<string, unknown>, databaseType = 'GeoLite2-Country'): Buffer {
  const nodeCount = 1;
  const dataPointer = nodeCount + 16; // record 0 of the data section
  const node = Buffer.alloc(6);
  node.writeUIntBE(dataPointer, 0, 3);
  node.writeUIntBE(dataPointer, 3, 3);
  const metadata = encode({
    node_count: uint(6, nodeCount),
    record_size: uint(5, 24),
    ip_version: uint(5, 6),
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: uint(5, 2),
    binary_format_minor_version: uint(5, 0),
    build_epoch: uint(9, 1_767_225_600),
    description: { en: 'Passgate test database' },
  });
  return Buffer.concat([
    node,
    Buffer.alloc(16),
    encode(record),
    Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'),
    metadata,
  ]);
}

/** An unsigned integer of MaxMind type 5 (uint16), 6 (uint32) or 9 (uint64). */
interface Uint {
  type: 5 | 6 | 9;
  value: number;
}

const uint = (type: Uint['type'], value: number): Uint => ({ type, value });

function control(type: number, size: number): Buffer {
  if (size > 284) throw new Error('test mmdb writer: fields over 284 bytes are not supported');
  const [sizeBits, extraSize] = size < 29 ? [size, []] : [29, [size - 29]];
  const head = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return Buffer.from([...head, ...extraSize]);
}

function encode(value: unknown): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  if (typeof value === 'number') return encode(uint(6, value));
  if (typeof value === 'object' && value !== null && 'type' in value && 'value' in value) {
    const { type, value: number } = value as Uint;
    const bytes: number[] = [];
    for (let rest = number; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}
