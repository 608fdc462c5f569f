import type { Document, Element } from '@xmldom/xmldom';
import { checkSecret, checkSettings, type ImportEntry, type ImportRead, oathAlgorithm } from './entry.js';
import { DS_NS, PSKC_NS, type PskcKeys, readBinary, readInteger, unwrapKeys } from './pskc-values.js';
import { child, children, textOf } from './xml.js';

/** Key algorithm URIs of HOTP and TOTP: RFC 6030's, and the variants vendors write. */
const KEY_TYPES: Record<string, 'hotp' | 'totp'> = {
  'urn:ietf:params:xml:ns:keyprov:pskc:hotp': 'hotp',
  'urn:ietf:params:xml:ns:keyprov:pskc#hotp': 'hotp',
  'http://www.ietf.org/keyprov/pskc#hotp': 'hotp',
  'urn:ietf:params:xml:ns:keyprov:pskc#totp': 'totp',
  'urn:ietf:params:xml:ns:keyprov:pskc:totp': 'totp',
  'http://www.ietf.org/keyprov/pskc#totp': 'totp',
};

/** The key of a device PIN (RFC 6030 section 5.1): not a token of its own. */
const PIN_KEY = 'urn:ietf:params:xml:ns:keyprov:pskc:pin';

/**
 * True when the container holds values encrypted with a pre-shared key (a ds:KeyName), so the
 * caller asks for the key before reading it, and only then: a plain file, or one encrypted in a
 * way Passgate does not read, never prompts.
 */
export function pskcNeedsKey(doc: Document): boolean {
  const root = doc.documentElement ?? undefined;
  return encrypted(doc) && child(child(root, 'EncryptionKey', PSKC_NS), 'KeyName', DS_NS) !== undefined;
}

function encrypted(doc: Document): boolean {
  return doc.getElementsByTagNameNS(PSKC_NS, 'EncryptedValue').length > 0;
}

/**
 * Reads the key packages of a PSKC container (RFC 6030): plain secrets, or secrets encrypted with a
 * pre-shared key (section 6.1). Every problem is collected, numbered by KeyPackage; a problem of the
 * container itself (not PSKC, wrong or missing key) stops the reading.
 */
export function readPskc(doc: Document, psk?: Buffer): ImportRead {
  const read: ImportRead = { format: 'pskc', entries: [], problems: [], notes: [] };
  const fail = (message: string) => {
    read.problems.push({ where: 'KeyContainer', message });
    return read;
  };
  const root = doc.documentElement;
  if (root?.localName !== 'KeyContainer' || root.namespaceURI !== PSKC_NS) {
    return fail(`not a PSKC file: the root element must be KeyContainer in namespace ${PSKC_NS}`);
  }
  const version = root.getAttribute('Version');
  if (version !== '1.0') return fail(`Version ${version || '(none)'} is not supported (1.0, RFC 6030)`);
  let keys: PskcKeys | undefined;
  if (encrypted(doc)) {
    const unwrapped = keysOf(root, psk);
    if (typeof unwrapped === 'string') return fail(unwrapped);
    keys = unwrapped;
  }
  const packages = children(root, 'KeyPackage', PSKC_NS);
  if (packages.length === 0) return fail('no KeyPackage');
  packages.forEach((element, index) => {
    const key = child(element, 'Key', PSKC_NS);
    if (key?.getAttribute('Algorithm')?.toLowerCase() === PIN_KEY) {
      const where = `KeyPackage ${index + 1}`;
      read.notes.push({ where, message: 'PIN key skipped (a PIN checked by the device itself)' });
    } else {
      read.entries.push(readKeyPackage(element, index + 1, keys));
    }
  });
  return read;
}

function keysOf(root: Element, psk: Buffer | undefined): PskcKeys | string {
  const encryptionKey = child(root, 'EncryptionKey', PSKC_NS);
  if (!encryptionKey) return 'the values are encrypted but there is no EncryptionKey';
  if (child(encryptionKey, 'X509Data', DS_NS)) {
    return 'values encrypted with a certificate (RFC 6030 section 6.3) are not supported; ask for a pre-shared key';
  }
  if (!child(encryptionKey, 'KeyName', DS_NS)) {
    return 'values encrypted with a password-derived key (RFC 6030 section 6.2) are not supported; ask for a pre-shared key';
  }
  if (!psk) {
    const name = textOf(child(encryptionKey, 'KeyName', DS_NS));
    return `the values are encrypted with the pre-shared key "${name ?? ''}", and none was given`;
  }
  return unwrapKeys(root, psk);
}

function readKeyPackage(element: Element, index: number, keys: PskcKeys | undefined): ImportEntry {
  const device = child(element, 'DeviceInfo', PSKC_NS);
  const serial = textOf(child(device, 'SerialNo', PSKC_NS));
  const problems: string[] = [];
  const entry: ImportEntry = {
    where: `KeyPackage ${index}${serial ? ` (serial ${serial})` : ''}`,
    serial,
    username: undefined,
    settings: undefined,
    problems,
  };
  if (!serial) problems.push('no DeviceInfo/SerialNo');
  const found = children(element, 'Key', PSKC_NS);
  if (found.length !== 1) {
    problems.push(found.length === 0 ? 'no Key' : 'more than one Key');
    return entry;
  }
  const key = found[0]!;
  entry.username = textOf(child(key, 'UserId', PSKC_NS)) ?? textOf(child(device, 'UserId', PSKC_NS));
  const algorithm = key.getAttribute('Algorithm') ?? '';
  const type = KEY_TYPES[algorithm.toLowerCase()];
  if (!type) problems.push(`algorithm ${algorithm || '(none)'} is not supported (HOTP or TOTP)`);
  const format = readParameters(key, problems);
  const data = child(key, 'Data', PSKC_NS);
  const secretElement = child(data, 'Secret', PSKC_NS);
  if (!secretElement) problems.push('no Secret');
  const secret = readBinary(secretElement, 'Secret', keys, problems);
  const counter = readInteger(child(data, 'Counter', PSKC_NS), 'Counter', keys, problems);
  const t0 = readInteger(child(data, 'Time', PSKC_NS), 'Time', keys, problems);
  const period = readInteger(child(data, 'TimeInterval', PSKC_NS), 'TimeInterval', keys, problems);
  if (type === 'totp' && t0 !== undefined && t0 !== 0) {
    problems.push(`Time (T0) is ${t0}; only TOTP tokens counting from the Unix epoch (T0 = 0) are supported`);
  }
  const pinMode = child(child(key, 'Policy', PSKC_NS), 'PINPolicy', PSKC_NS)?.getAttribute('PINUsageMode');
  if (pinMode && pinMode !== 'Local') {
    problems.push(
      `PINPolicy PINUsageMode ${pinMode} is not supported: Passgate checks no token PIN (Local only)`,
    );
  }
  if (secret) checkSecret(secret, problems);
  checkSettings({ ...format, counter, period }, problems);
  // TimeDrift is not taken over: it was measured at the factory, and verification learns the drift.
  if (problems.length === 0 && type && secret && format) {
    entry.settings = {
      type,
      secret,
      ...format,
      ...(type === 'hotp' ? { counter: counter ?? 0 } : { period: period ?? 30 }),
      description: description(device),
    };
  }
  return entry;
}

/** Digits and hash from AlgorithmParameters (ResponseFormat, Suite). */
function readParameters(key: Element, problems: string[]) {
  const parameters = child(key, 'AlgorithmParameters', PSKC_NS);
  const response = child(parameters, 'ResponseFormat', PSKC_NS);
  const before = problems.length;
  if (!response) {
    problems.push('no AlgorithmParameters/ResponseFormat: the number of digits is unknown');
    return undefined;
  }
  const length = response.getAttribute('Length') ?? '';
  const digits = /^\d{1,2}$/.test(length) ? Number(length) : Number.NaN;
  if (Number.isNaN(digits)) problems.push(`ResponseFormat Length "${length}" is not a number`);
  const encoding = response.getAttribute('Encoding') ?? '(none)';
  if (encoding !== 'DECIMAL') problems.push(`ResponseFormat Encoding ${encoding} is not supported (DECIMAL)`);
  if (response.getAttribute('CheckDigits') === 'true')
    problems.push('ResponseFormat CheckDigits is not supported');
  const suite = textOf(child(parameters, 'Suite', PSKC_NS));
  const algorithm = suite === undefined ? 'SHA1' : oathAlgorithm(suite);
  if (!algorithm) problems.push(`Suite "${suite}" is not supported (HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512)`);
  return problems.length === before && algorithm ? { digits, algorithm } : undefined;
}

/** "Manufacturer Model" of the device, shown in token listings. */
function description(device: Element | undefined): string | null {
  const parts = ['Manufacturer', 'Model'].map((name) => textOf(child(device, name, PSKC_NS)));
  return parts.filter(Boolean).join(' ') || null;
}
