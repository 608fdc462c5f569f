import type { AttemptRecorder } from '../attempts/writer.js';
import type { Clock } from '../clock.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import type {
  Device,
  DeviceSighting,
  DeviceState,
  DevicesRepository,
} from '../store/repositories/devices.js';
import { DeviceErrors } from './errors.js';

/**
 * Who changes a device: its owner (signed in to the Device Provisioning site with their second
 * factor), an administrator (admin site), or the command line. Owners may only touch their own
 * devices and may not undo a rejection; administrators and the CLI may do everything.
 */
export type DeviceDecider =
  | { kind: 'owner'; user: { id: string; name: string } }
  | { kind: 'administrator'; name: string }
  | { kind: 'cli' };

/** Where a change or a request came from, for audit and attempts. */
export interface DeviceOrigin {
  address?: string | null;
  /** The door or site (`activesync`, `devices`, `admin`, `cli`). */
  door: string;
}

/** Whether a request of a device passes, and what became of the device. */
export interface Admission {
  device: Device;
  /** True for the request that made the device known. */
  created: boolean;
  /** `pass` for an approved device, `held` for a pending one, `refused` for a rejected one. */
  verdict: 'pass' | 'held' | 'refused';
}

/**
 * The optional allowance (a policy setting, off by default): whether a new device is approved
 * without asking its owner, e.g. the first device of a user shortly after enrolment.
 */
export interface DeviceAllowance {
  /** True when the new device of this sighting is approved at once. */
  allows(sighting: DeviceSighting, devices: Pick<DevicesRepository, 'countOfUser'>): Promise<boolean>;
}

/** The allowance that never allows: every new device is held. */
export const NO_ALLOWANCE: DeviceAllowance = { allows: async () => false };

/** How often a device refused again and again is recorded as an attempt and audited (ms). */
export const REFUSAL_RECORD_INTERVAL = 3_600_000;

/** How far last seen may lag behind (ms): a device's requests write it at most once a minute. */
export const LAST_SEEN_RESOLUTION = 60_000;

/** Devices whose refusals this process remembers at most (the oldest are forgotten first). */
const REMEMBERED_REFUSALS = 10_000;

/** The method of the attempts that record decisions on devices (approvals, rejections). */
export const DECISION_METHOD = 'device_decision';

/** Audit outcome of each change. */
const OUTCOME = { approved: 'success', rejected: 'denied', removed: 'info', cleared: 'info' } as const;

/** What every audit event of a device names: where it came from and which device. */
function auditedDevice(device: Device, origin: DeviceOrigin) {
  return { door: origin.door, device: device.id, deviceId: device.deviceId, deviceType: device.deviceType };
}

/** The `decided_by` text of a decider. */
export function deciderName(decider: DeviceDecider): string {
  if (decider.kind === 'owner') return `user:${decider.user.name}`;
  if (decider.kind === 'administrator') return `admin:${decider.name}`;
  return 'cli';
}

/**
 * The one service that changes ActiveSync devices, with audit and attempts: the ActiveSync door
 * admits requests through it, and the Device Provisioning site, the admin site and the CLI
 * approve, reject, remove and clear through it, so each change is checked and recorded the same
 * way whoever makes it.
 */
export class DeviceApprovals {
  /** When each refused device was last recorded by this process (throttles the records). */
  private readonly refusalsRecorded = new Map<string, number>();

  constructor(
    private readonly devices: DevicesRepository,
    private readonly audit: AuditRepository,
    private readonly attempts: AttemptRecorder,
    private readonly clock: Clock,
    private readonly allowance: DeviceAllowance = NO_ALLOWANCE,
  ) {}

  /**
   * The verdict on a request of a device whose user's credentials are good: a new device is
   * held (or approved by the allowance) and audited; a held or rejected device is refused, its
   * refusal recorded as an attempt and audited at most once an hour per device.
   */
  async admit(sighting: DeviceSighting, origin: DeviceOrigin): Promise<Admission> {
    let { device, created } = await this.devices.observe(sighting);
    if (created && (await this.allowance.allows(sighting, this.devices))) {
      device =
        (await this.devices.decide(device.id, 'approved', { at: sighting.at, by: 'allowance' }, [
          'pending',
        ])) ?? device;
    }
    if (created) await this.recordChange(device, device.state === 'approved' ? 'allowed' : 'held', origin);
    if (created && device.state === 'approved') this.recordDecision(device, origin);
    else if (sighting.at - device.lastSeen.at >= LAST_SEEN_RESOLUTION)
      await this.devices.touch(device.id, sighting.at, sighting.address);
    const verdict = device.state === 'approved' ? 'pass' : device.state === 'pending' ? 'held' : 'refused';
    if (verdict !== 'pass') await this.recordRefusal(device, origin);
    return { device, created, verdict };
  }

  /** Approves a device (its owner: a held one only). */
  async approve(id: string, decider: DeviceDecider, origin: DeviceOrigin): Promise<Device> {
    const from: DeviceState[] =
      decider.kind === 'owner' ? ['pending', 'approved'] : ['pending', 'approved', 'rejected'];
    return this.decide(id, 'approved', decider, origin, from);
  }

  /** Rejects a device: it stays refused until an administrator clears it. */
  async reject(id: string, decider: DeviceDecider, origin: DeviceOrigin): Promise<Device> {
    return this.decide(id, 'rejected', decider, origin, ['pending', 'approved', 'rejected']);
  }

  /**
   * Removes a device: its next request makes it new again (held, its owner asked). An owner
   * cannot remove a rejected device (that would undo the rejection).
   */
  async remove(id: string, decider: DeviceDecider, origin: DeviceOrigin): Promise<Device> {
    const device = await this.owned(id, decider);
    if (decider.kind === 'owner' && device.state === 'rejected') throw DeviceErrors.DEVICE_DECIDED();
    if (!(await this.devices.remove(id))) throw DeviceErrors.DEVICE_NOT_FOUND({ detail: `device ${id}` });
    await this.recordChange(device, 'removed', origin, decider);
    return device;
  }

  /**
   * Clears a device (administrators and the CLI): back to held and not yet notified, so that its
   * next request asks its owner again.
   */
  async clear(
    id: string,
    decider: Exclude<DeviceDecider, { kind: 'owner' }>,
    origin: DeviceOrigin,
  ): Promise<Device> {
    const device = await this.devices.reset(id);
    if (!device) throw DeviceErrors.DEVICE_NOT_FOUND({ detail: `device ${id}` });
    this.refusalsRecorded.delete(id);
    await this.recordChange(device, 'cleared', origin, decider);
    return device;
  }

  /** A device its decider may see: an owner only their own (another's is not found). */
  async owned(id: string, decider: DeviceDecider): Promise<Device> {
    const device = await this.devices.get(id);
    if (!device || (decider.kind === 'owner' && device.user.id !== decider.user.id))
      throw DeviceErrors.DEVICE_NOT_FOUND({ detail: `device ${id}` });
    return device;
  }

  private async decide(
    id: string,
    state: 'approved' | 'rejected',
    decider: DeviceDecider,
    origin: DeviceOrigin,
    from: DeviceState[],
  ): Promise<Device> {
    const before = await this.owned(id, decider);
    if (!from.includes(before.state))
      throw DeviceErrors.DEVICE_DECIDED({ detail: `device ${id} is ${before.state}` });
    const device = await this.devices.decide(id, state, { at: this.clock(), by: deciderName(decider) }, from);
    if (!device) throw DeviceErrors.DEVICE_DECIDED({ detail: `device ${id} changed while being decided` });
    this.refusalsRecorded.delete(id);
    await this.recordChange(device, state, origin, decider, before.state);
    this.recordDecision(device, origin);
    return device;
  }

  private async recordChange(
    device: Device,
    change: 'held' | 'allowed' | 'approved' | 'rejected' | 'removed' | 'cleared',
    origin: DeviceOrigin,
    decider?: DeviceDecider,
    previous?: DeviceState,
  ): Promise<void> {
    const outcome = change === 'held' ? 'info' : change === 'allowed' ? 'success' : OUTCOME[change];
    await this.audit.record({
      type: `device.${change}`,
      outcome,
      username: device.user.name,
      userId: device.user.id,
      address: origin.address ?? null,
      details: {
        ...auditedDevice(device, origin),
        model: device.model,
        ...(decider ? { by: deciderName(decider) } : {}),
        ...(decider?.kind === 'administrator' ? { admin: decider.name } : {}),
        ...(previous ? { previous } : {}),
      },
    });
  }

  /**
   * Records a decision on a device as an attempt of its owner (method `device_decision`): an
   * approval (or the allowance's) as `success`, a rejection as `denied`, from the door it came through.
   */
  private recordDecision(device: Device, origin: DeviceOrigin): void {
    this.attempts.record({
      origin: { address: origin.address ?? '', door: origin.door, application: 'activesync' },
      user: device.user,
      ...(device.state === 'approved'
        ? { result: 'success' as const }
        : { result: 'denied' as const, reason: 'DEVICE_REJECTED' }),
      method: DECISION_METHOD,
    });
  }

  /** Records a refused request: once when first refused, then at most once an hour per device. */
  private async recordRefusal(device: Device, origin: DeviceOrigin): Promise<void> {
    const now = this.clock();
    const last = this.refusalsRecorded.get(device.id);
    if (last !== undefined && now - last < REFUSAL_RECORD_INTERVAL) return;
    this.refusalsRecorded.delete(device.id);
    this.refusalsRecorded.set(device.id, now);
    if (this.refusalsRecorded.size > REMEMBERED_REFUSALS) {
      const oldest = this.refusalsRecorded.keys().next().value;
      if (oldest !== undefined) this.refusalsRecorded.delete(oldest);
    }
    const reason = device.state === 'rejected' ? 'DEVICE_REJECTED' : 'DEVICE_NOT_APPROVED';
    this.attempts.record({
      origin: { address: origin.address ?? '', door: origin.door },
      user: device.user,
      result: device.state === 'rejected' ? 'denied' : 'device_held',
      reason,
      method: 'password',
    });
    await this.audit.record({
      type: 'device.refused',
      outcome: 'denied',
      reason,
      username: device.user.name,
      userId: device.user.id,
      address: origin.address ?? null,
      details: auditedDevice(device, origin),
    });
  }
}
