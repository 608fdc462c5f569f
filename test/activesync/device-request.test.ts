import { describe, expect, it } from 'vitest';
import { modelOf } from '../../src/devices/model.js';
import { parseDeviceRequest, parseEncodedQuery } from '../../src/doors/activesync/device-request.js';
import { hasStatusDocument, statusDocument } from '../../src/doors/activesync/wbxml-status.js';
import { decodeActiveSync } from '../support/wbxml.js';

/** The example of MS-ASHTTP 4.2 built by hand: version 14.1, FolderSync, en-us, a GUID DeviceId, policy key, type, User. */
function encoded(parts: {
  deviceId: Buffer;
  policyKey?: number;
  type: string;
  parameters?: [number, Buffer][];
}): string {
  const policy = parts.policyKey === undefined ? Buffer.from([0]) : Buffer.alloc(5);
  if (parts.policyKey !== undefined) {
    policy[0] = 4;
    policy.writeUInt32LE(parts.policyKey, 1);
  }
  return Buffer.concat([
    Buffer.from([141, 9, 0x09, 0x04, parts.deviceId.length]),
    parts.deviceId,
    policy,
    Buffer.from([parts.type.length]),
    Buffer.from(parts.type, 'latin1'),
    ...(parts.parameters ?? []).map(([tag, value]) =>
      Buffer.concat([Buffer.from([tag, value.length]), value]),
    ),
  ]).toString('base64');
}

describe('ActiveSync device requests', () => {
  const guid = Buffer.from('6f24cad599a5bf1a690246b8c68fae8d', 'hex');

  it('reads the plain query, its parameter names in any case', () => {
    expect(parseDeviceRequest('Cmd=Sync&User=alice&DeviceId=ABC123&DeviceType=iPhone', '14.1')).toEqual({
      deviceId: 'ABC123',
      deviceType: 'iPhone',
      command: 'Sync',
      protocolVersion: '14.1',
    });
    expect(parseDeviceRequest('cmd=Ping&deviceid=X1&devicetype=Android', undefined)).toMatchObject({
      deviceId: 'X1',
      command: 'Ping',
      protocolVersion: undefined,
    });
  });

  it('parses the base64-encoded query of MS-ASHTTP 2.2.1.1.1.1, percent-encoded or not', () => {
    const query = encoded({
      deviceId: guid,
      policyKey: 0x12345678,
      type: 'PocketPC',
      parameters: [
        [8, Buffer.from('alice')],
        [1, Buffer.from('5')],
      ],
    });
    const parsed = parseEncodedQuery(query)!;
    expect(parsed).toMatchObject({
      protocolVersion: '14.1',
      command: 'FolderSync',
      locale: 0x0409,
      deviceId: '6F24CAD599A5BF1A690246B8C68FAE8D',
      policyKey: 0x12345678,
      deviceType: 'PocketPC',
    });
    expect(parsed.parameters.get(8)?.toString()).toBe('alice');
    expect(parsed.parameters.get(1)?.toString()).toBe('5');
    expect(parseDeviceRequest(encodeURIComponent(query), undefined)).toEqual({
      deviceId: '6F24CAD599A5BF1A690246B8C68FAE8D',
      deviceType: 'PocketPC',
      command: 'FolderSync',
      protocolVersion: '14.1',
    });
    // The header wins over the query's version.
    expect(parseDeviceRequest(query, '16.1')?.protocolVersion).toBe('16.1');
    // No policy key.
    expect(parseEncodedQuery(encoded({ deviceId: guid, type: 'WP' }))).toMatchObject({
      policyKey: undefined,
      deviceType: 'WP',
    });
  });

  it('refuses what is not a request of a device', () => {
    const good = Buffer.from(
      encoded({ deviceId: guid, type: 'PocketPC', parameters: [[8, Buffer.from('bob')]] }),
      'base64',
    );
    expect(parseEncodedQuery(good.subarray(0, good.length - 1).toString('base64'))).toBeUndefined(); // a parameter cut short
    expect(parseEncodedQuery(good.subarray(0, 12).toString('base64'))).toBeUndefined(); // device id cut short
    expect(parseEncodedQuery(encoded({ deviceId: Buffer.alloc(0), type: 'PocketPC' }))).toBeUndefined();
    expect(parseEncodedQuery(encoded({ deviceId: guid, type: '' }))).toBeUndefined();
    expect(parseEncodedQuery('not base64!')).toBeUndefined();
    expect(parseEncodedQuery('%E0%A4%A')).toBeUndefined();
    expect(parseDeviceRequest('', '14.1')).toBeUndefined();
    expect(parseDeviceRequest('Cmd=Sync&User=alice', '14.1')).toBeUndefined();
    expect(parseDeviceRequest('Cmd=Sync&DeviceId=a%00b&DeviceType=iPhone', '14.1')).toBeUndefined();
    expect(
      parseDeviceRequest(`Cmd=Sync&DeviceId=${'A'.repeat(129)}&DeviceType=iPhone`, '14.1'),
    ).toBeUndefined();
  });

  it('names the model from the User-Agent', () => {
    expect(modelOf('Apple-iPhone15C2/2101.1')).toBe('iPhone15C2');
    expect(modelOf('SAMSUNG-SM-G991B/101.130102')).toBe('SAMSUNG-SM-G991B');
    expect(modelOf('Android/13-EAS-2.0')).toBe('Android');
    expect(modelOf('')).toBeNull();
    expect(modelOf(null)).toBeNull();
  });

  it("writes each command's status answer as libwbxml decodes it", () => {
    const namespaces: Record<string, string> = {
      Sync: 'AirSync',
      SendMail: 'ComposeMail',
      SmartForward: 'ComposeMail',
      SmartReply: 'ComposeMail',
      MoveItems: 'Move',
      GetItemEstimate: 'GetItemEstimate',
      FolderCreate: 'FolderHierarchy',
      FolderDelete: 'FolderHierarchy',
      FolderUpdate: 'FolderHierarchy',
      FolderSync: 'FolderHierarchy',
      MeetingResponse: 'MeetingResponse',
      ResolveRecipients: 'ResolveRecipients',
      ValidateCert: 'ValidateCert',
      Ping: 'Ping',
      Provision: 'Provision',
      Search: 'Search',
      Settings: 'Settings',
      ItemOperations: 'ItemOperations',
    };
    for (const [command, namespace] of Object.entries(namespaces)) {
      expect(hasStatusDocument(command)).toBe(true);
      const xml = decodeActiveSync(statusDocument(command, 129));
      expect(xml.replace(/\s+/g, '')).toContain(
        `<${command}xmlns="${namespace}:"><Status>129</Status></${command}>`,
      );
    }
    expect(hasStatusDocument('GetAttachment')).toBe(false);
    expect(hasStatusDocument('Find')).toBe(false);
    expect(hasStatusDocument(undefined)).toBe(false);
  });
});
