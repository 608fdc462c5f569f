// The device an ActiveSync request names, in both query forms of MS-ASHTTP.
import { describe, expect, it } from 'vitest';
import { requestDevice } from '../../src/doors/activesync/request-device.js';

/** A base64-encoded query: version 14.1, Sync (0), locale en-US, the DeviceId, a policy key, the DeviceType. */
function encoded(deviceId: Buffer, deviceType: string): string {
  const type = Buffer.from(deviceType, 'latin1');
  const bytes = Buffer.concat([
    Buffer.from([141, 0, 0x09, 0x04, deviceId.length]),
    deviceId,
    Buffer.from([4, 1, 2, 3, 4, type.length]),
    type,
  ]);
  return `?${encodeURIComponent(bytes.toString('base64'))}`;
}

describe('requestDevice', () => {
  it('reads DeviceId and DeviceType from a plain query, names in any case', () => {
    expect(requestDevice('?Cmd=Sync&User=alice&DeviceId=ABC123&DeviceType=iPhone')).toEqual({
      deviceId: 'ABC123',
      deviceType: 'iPhone',
    });
    expect(requestDevice('?cmd=Ping&deviceid=a%2Bb&devicetype=Android')).toEqual({
      deviceId: 'a+b',
      deviceType: 'Android',
    });
  });

  it('reads them from a base64-encoded query, a binary DeviceId as upper-case hex', () => {
    expect(requestDevice(encoded(Buffer.from('SEC1234'), 'SAMSUNGSMG991B'))).toEqual({
      deviceId: 'SEC1234',
      deviceType: 'SAMSUNGSMG991B',
    });
    expect(requestDevice(encoded(Buffer.from([0xde, 0xad, 0x00, 0x01]), 'iPhone'))).toEqual({
      deviceId: 'DEAD0001',
      deviceType: 'iPhone',
    });
  });

  it('names no device for an empty, truncated or control-character query', () => {
    expect(requestDevice('')).toBeUndefined();
    expect(requestDevice('?Cmd=Sync&User=alice')).toBeUndefined();
    expect(requestDevice('?Cmd=Sync&DeviceId=&DeviceType=x')).toBeUndefined();
    expect(requestDevice('?Cmd=Sync&DeviceId=a%00b&DeviceType=x')).toBeUndefined();
    expect(requestDevice('?jQAJBA==')).toBeUndefined();
    expect(requestDevice('?not base64!')).toBeUndefined();
  });
});
