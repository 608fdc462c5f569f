import { parseDeviceRequest } from './device-request.js';

/** The device an ActiveSync request names in its query (MS-ASHTTP 2.2.1.1.1). */
export interface RequestDevice {
  deviceId: string;
  deviceType: string;
}

/**
 * The DeviceId and DeviceType of an ActiveSync request's query (with or without its `?`), plain
 * or base64-encoded, or undefined when the query names no device: the credential cache's key, read
 * by the one parser of device requests (device-request.ts).
 */
export function requestDevice(query: string): RequestDevice | undefined {
  const request = parseDeviceRequest(query.startsWith('?') ? query.slice(1) : query, undefined);
  return request && { deviceId: request.deviceId, deviceType: request.deviceType };
}
