/** The device an ActiveSync request names in its query (MS-ASHTTP 2.2.1.1.1). */
export interface RequestDevice {
  deviceId: string;
  deviceType: string;
}

/** Longest DeviceId and DeviceType Passgate takes (MS-ASHTTP: 32 and 16 characters; some devices send more). */
const MAX_LENGTH = 128;

/**
 * The DeviceId and DeviceType of an ActiveSync request's query, plain (`?Cmd=Sync&DeviceId=...`)
 * or base64-encoded (MS-ASHTTP 2.2.1.1.1.1: a binary DeviceId is given as upper-case hex), or
 * undefined when the query names no device (OPTIONS, a malformed query).
 */
export function requestDevice(query: string): RequestDevice | undefined {
  const raw = query.startsWith('?') ? query.slice(1) : query;
  if (raw === '') return undefined;
  const device = raw.includes('=') && /(^|&)DeviceId=/i.test(raw) ? plainQuery(raw) : base64Query(raw);
  if (!device) return undefined;
  const { deviceId, deviceType } = device;
  if (!deviceId || deviceId.length > MAX_LENGTH || deviceType.length > MAX_LENGTH) return undefined;
  // Control characters (a NUL) in either would make two devices one cache entry.
  if ([...deviceId, ...deviceType].some((c) => c < ' ' || c === '\x7f')) return undefined;
  return device;
}

/** `Cmd=...&User=...&DeviceId=...&DeviceType=...` (names in any case). */
function plainQuery(raw: string): RequestDevice | undefined {
  const found: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    const equals = pair.indexOf('=');
    if (equals < 0) continue;
    const name = pair.slice(0, equals).toLowerCase();
    try {
      found[name] ??= decodeURIComponent(pair.slice(equals + 1).replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  return found.deviceid === undefined
    ? undefined
    : { deviceId: found.deviceid, deviceType: found.devicetype ?? '' };
}

/** Version, command, locale (2), DeviceId (length-prefixed), policy key (length-prefixed), DeviceType (length-prefixed). */
function base64Query(raw: string): RequestDevice | undefined {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  let at = 4;
  const field = (): Buffer | undefined => {
    const length = bytes[at];
    if (length === undefined || at + 1 + length > bytes.length) return undefined;
    const value = bytes.subarray(at + 1, at + 1 + length);
    at += 1 + length;
    return value;
  };
  const id = field();
  const policyKey = field();
  const type = field();
  if (!id || !policyKey || !type) return undefined;
  const printable = id.every((byte) => byte >= 0x21 && byte <= 0x7e);
  return {
    deviceId: printable ? id.toString('latin1') : id.toString('hex').toUpperCase(),
    deviceType: type.toString('latin1'),
  };
}
