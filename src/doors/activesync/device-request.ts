/**
 * Who and what an ActiveSync request is about: the device (`DeviceId`, `DeviceType`), the command
 * and the protocol version, read from the plain query string (`?Cmd=Sync&User=...&DeviceId=...`)
 * or from the base64-encoded query of MS-ASHTTP 2.2.1.1.1.1, which older Windows clients send.
 */
export interface DeviceRequest {
  deviceId: string;
  deviceType: string;
  /** The command (`Sync`, `FolderSync` ...); undefined when the request names none or an unknown one. */
  command: string | undefined;
  /** The protocol version (`14.1`): the `MS-ASProtocolVersion` header, else the encoded query's. */
  protocolVersion: string | undefined;
}

/** The commands of the encoded query by their code (MS-ASHTTP 2.2.1.1.1.1.2). */
const COMMAND_CODES: Readonly<Record<number, string>> = {
  0: 'Sync',
  1: 'SendMail',
  2: 'SmartForward',
  3: 'SmartReply',
  4: 'GetAttachment',
  9: 'FolderSync',
  10: 'FolderCreate',
  11: 'FolderDelete',
  12: 'FolderUpdate',
  13: 'MoveItems',
  14: 'GetItemEstimate',
  15: 'MeetingResponse',
  16: 'Search',
  17: 'Settings',
  18: 'Ping',
  19: 'ItemOperations',
  20: 'Provision',
  21: 'ResolveRecipients',
  22: 'ValidateCert',
};

/**
 * What a DeviceId or DeviceType may be: at most 128 characters without control characters (the
 * spec says 32 and 16; some devices send more; a NUL would make two devices one).
 */
const isIdentifier = (text: string) =>
  text.length > 0 && text.length <= 128 && ![...text].some((c) => c < ' ' || c === '\x7f');

/** The fields of the base64-encoded query (MS-ASHTTP 2.2.1.1.1.1). */
export interface EncodedQuery {
  protocolVersion: string;
  command: string | undefined;
  locale: number;
  /** The device id: as text when its bytes are printable ASCII, else as upper-case hex (a GUID on Windows Mobile). */
  deviceId: string;
  policyKey: number | undefined;
  deviceType: string;
  /** The command parameters by tag (0 AttachmentName, 1 CollectionId, 3 ItemId, 4 LongId, 6 Occurrence, 7 Options, 8 User). */
  parameters: Map<number, Buffer>;
}

/**
 * Parses the base64-encoded query of MS-ASHTTP 2.2.1.1.1.1 (URL-decoded first: `+`, `/` and `=`
 * often arrive percent-encoded); undefined when it is not one (bad base64, a length running past
 * the end, no device id or type).
 */
export function parseEncodedQuery(query: string): EncodedQuery | undefined {
  let text: string;
  try {
    text = decodeURIComponent(query);
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  let at = 0;
  const take = (length: number): Buffer | undefined => {
    if (at + length > bytes.length) return undefined;
    const part = bytes.subarray(at, at + length);
    at += length;
    return part;
  };
  const head = take(4);
  if (!head) return undefined;
  const version = head[0]!;
  const deviceIdLength = take(1)?.[0];
  const deviceId = deviceIdLength === undefined ? undefined : take(deviceIdLength);
  const policyKeyLength = take(1)?.[0];
  if (!deviceId || deviceId.length === 0 || (policyKeyLength !== 0 && policyKeyLength !== 4))
    return undefined;
  const policyKey = policyKeyLength === 4 ? take(4)?.readUInt32LE(0) : undefined;
  const deviceTypeLength = take(1)?.[0];
  const deviceType = deviceTypeLength === undefined ? undefined : take(deviceTypeLength)?.toString('latin1');
  if (!deviceType || !isIdentifier(deviceType)) return undefined;
  const parameters = new Map<number, Buffer>();
  while (at < bytes.length) {
    const tag = take(1)?.[0];
    const length = take(1)?.[0];
    const value = length === undefined ? undefined : take(length);
    if (tag === undefined || !value) return undefined;
    parameters.set(tag, value);
  }
  return {
    protocolVersion: `${Math.floor(version / 10)}.${version % 10}`,
    command: COMMAND_CODES[head[1]!],
    locale: head.readUInt16LE(2),
    deviceId: deviceId.every((byte) => byte >= 0x21 && byte <= 0x7e)
      ? deviceId.toString('latin1')
      : deviceId.toString('hex').toUpperCase(),
    policyKey,
    deviceType,
    parameters,
  };
}

/** The value of a plain query parameter, its name in any case (devices differ). */
function parameter(params: URLSearchParams, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of params) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * The device request of a URL's query (the part after `?`) and its `MS-ASProtocolVersion`
 * header; undefined when the request names no valid device (OPTIONS, a bare GET).
 */
export function parseDeviceRequest(
  query: string,
  protocolVersionHeader: string | undefined,
): DeviceRequest | undefined {
  const header = protocolVersionHeader?.trim() || undefined;
  if (query === '') return undefined;
  if (query.includes('=') && !/^[A-Za-z0-9+/%]+(=|%3D){0,2}$/i.test(query)) {
    const params = new URLSearchParams(query);
    const deviceId = parameter(params, 'DeviceId');
    const deviceType = parameter(params, 'DeviceType');
    if (!deviceId || !deviceType || !isIdentifier(deviceId) || !isIdentifier(deviceType)) return undefined;
    const command = parameter(params, 'Cmd');
    return { deviceId, deviceType, command: command || undefined, protocolVersion: header };
  }
  const encoded = parseEncodedQuery(query);
  if (!encoded) return undefined;
  return {
    deviceId: encoded.deviceId,
    deviceType: encoded.deviceType,
    command: encoded.command,
    protocolVersion: header ?? encoded.protocolVersion,
  };
}
