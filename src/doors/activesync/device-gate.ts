import type { NextFunction, Request, Response } from 'express';
import type { DeviceApprovals } from '../../devices/approvals.js';
import { modelOf } from '../../devices/model.js';
import { describeError } from '../../errors.js';
import type { CountryLookup } from '../../geo/country-lookup.js';
import type { Logger } from '../../observability/logger.js';
import type { DevicesRepository } from '../../store/repositories/devices.js';
import type { User } from '../../store/repositories/users.js';
import { type DeviceRequest, parseDeviceRequest } from './device-request.js';
import { hasStatusDocument, statusDocument } from './wbxml-status.js';

/** MS-ASCMD common status 129, DeviceIsBlockedForThisUser (protocol 14.0 and later). */
export const DEVICE_BLOCKED_STATUS = 129;

/** What the gate works with. */
export interface DeviceGateDeps {
  approvals: Pick<DeviceApprovals, 'admit'>;
  devices: Pick<DevicesRepository, 'claimNotification'>;
  geo: CountryLookup;
  clock: () => number;
  logger: Pick<Logger, 'warn'>;
  /** Tells the owner of a newly held device (once per device: the gate claims it first). */
  notify(
    user: User,
    device: Awaited<ReturnType<DeviceApprovals['admit']>>['device'],
    address: string,
  ): Promise<void>;
  /** Counts a request that did not pass (`held`: pending, `refused`: rejected, `unidentified`: no device). */
  refused(verdict: 'held' | 'refused' | 'unidentified'): void;
}

/** Whether a protocol version (`14.1`) knows the common status codes (14.0 and later). */
function hasCommonStatus(version: string | undefined): boolean {
  const major = Number.parseFloat(version ?? '');
  return Number.isFinite(major) && major >= 14;
}

/**
 * The answer Exchange gives a blocked or quarantined device, so that the phone says why: for
 * protocol 14.0 and later the command's own WBXML answer with Status 129
 * (DeviceIsBlockedForThisUser, MS-ASCMD 2.2.2), for older versions and for commands without a
 * WBXML answer (GetAttachment) HTTP 403 Forbidden (MS-ASHTTP 3.2.5.1).
 */
export function refuseDevice(
  res: Response,
  request: Pick<DeviceRequest, 'command' | 'protocolVersion'>,
): void {
  if (hasCommonStatus(request.protocolVersion) && hasStatusDocument(request.command)) {
    const body = statusDocument(request.command, DEVICE_BLOCKED_STATUS);
    res
      .status(200)
      .set({ 'Content-Type': 'application/vnd.ms-sync.wbxml', 'Content-Length': String(body.length) })
      .end(body);
    return;
  }
  res.status(403).type('text').send('403 Forbidden: this device is not approved for this user\n');
}

/**
 * The door's device approval, after the credential check (the user is known): identifies the
 * device of the request (DeviceId, DeviceType, plain or base64-encoded query), admits it through
 * the engine's DeviceApprovals and lets an approved device through; a held or rejected one gets
 * Exchange's blocked answer, and the owner of a newly held device is told once. OPTIONS never
 * comes here; a command naming no device is answered 400.
 */
export function deviceGate(deps: DeviceGateDeps) {
  return async (req: Request, res: Response, next: NextFunction, user: User): Promise<void> => {
    const url = req.originalUrl;
    const question = url.indexOf('?');
    const request = parseDeviceRequest(
      question < 0 ? '' : url.slice(question + 1),
      req.header('ms-asprotocolversion'),
    );
    if (!request) {
      deps.refused('unidentified');
      req.resume();
      res.status(400).type('text').send('400 Bad Request: the request names no DeviceId and DeviceType\n');
      return;
    }
    const address = req.ip ?? req.socket.remoteAddress ?? '';
    const userAgent = req.header('user-agent')?.slice(0, 300) ?? null;
    let admission: Awaited<ReturnType<DeviceApprovals['admit']>>;
    try {
      admission = await deps.approvals.admit(
        {
          user: { id: user.id, name: user.username },
          deviceId: request.deviceId,
          deviceType: request.deviceType,
          model: modelOf(userAgent),
          userAgent,
          address,
          country: deps.geo.country(address),
          at: deps.clock(),
        },
        { address, door: 'activesync' },
      );
    } catch (error) {
      return next(error);
    }
    const { device, verdict } = admission;
    if (verdict === 'pass') return next();
    deps.refused(verdict);
    req.resume();
    refuseDevice(res, request);
    if (verdict === 'held' && device.notifiedAt === null) void notifyOnce(deps, user, device, address);
  };
}

/** Claims the device's notice and sends it; a failure is logged (the audit has the rest). */
async function notifyOnce(
  deps: DeviceGateDeps,
  user: User,
  device: Parameters<DeviceGateDeps['notify']>[1],
  address: string,
): Promise<void> {
  try {
    if (await deps.devices.claimNotification(device.id, deps.clock()))
      await deps.notify(user, device, address);
  } catch (error) {
    deps.logger.warn({ err: describeError(error), device: device.id }, 'device notice failed');
  }
}
