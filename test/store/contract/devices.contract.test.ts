import { beforeEach, expect, it } from 'vitest';
import type { SignInAttempt } from '../../../src/attempts/attempt.js';
import { devicePolicyAllowance } from '../../../src/devices/allowance.js';
import {
  type DeviceAllowance,
  DeviceApprovals,
  REFUSAL_RECORD_INTERVAL,
} from '../../../src/devices/approvals.js';
import { DeviceErrors } from '../../../src/devices/errors.js';
import { PolicyStore } from '../../../src/policy/policy-store.js';
import { AuditRepository } from '../../../src/store/repositories/audit.js';
import { type DeviceSighting, DevicesRepository } from '../../../src/store/repositories/devices.js';
import { PoliciesRepository } from '../../../src/store/repositories/policies.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { describeContract, rejectionOf, T0 } from './contract-store.js';

describeContract('DevicesRepository and DeviceApprovals', (store) => {
  let devices: DevicesRepository;
  let audit: AuditRepository;
  let attempts: SignInAttempt[];
  let approvals: DeviceApprovals;
  let alice: { id: string; name: string };
  let bob: { id: string; name: string };
  const origin = { address: '192.0.2.7', door: 'activesync' };

  const sighting = (
    user: { id: string; name: string },
    deviceId: string,
    at = store.clock(),
  ): DeviceSighting => ({
    user,
    deviceId,
    deviceType: 'iPhone',
    model: 'iPhone 15',
    userAgent: 'Apple-iPhone15C2/2101.1',
    address: '192.0.2.7',
    country: 'CH',
    at,
  });

  const withAllowance = (allowance: DeviceAllowance) =>
    new DeviceApprovals(devices, audit, { record: (a) => attempts.push(a) }, store.clock, allowance);

  beforeEach(async () => {
    devices = new DevicesRepository(store.database.db);
    audit = new AuditRepository(store.database.db, store.clock);
    attempts = [];
    approvals = new DeviceApprovals(devices, audit, { record: (a) => attempts.push(a) }, store.clock);
    const users = new UsersRepository(store.database.db, store.clock);
    const a = await users.create({ username: 'alice' });
    const b = await users.create({ username: 'bob' });
    alice = { id: a.id, name: a.username };
    bob = { id: b.id, name: b.username };
  });

  it('creates a device once for concurrent first requests from several server processes', async () => {
    const other = new DevicesRepository((await store.openAnotherHandle()).db);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? other : devices).observe(sighting(alice, 'DEV1'))),
    );
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.device.id)).size).toBe(1);
    const [device] = await devices.listOfUser(alice.id);
    expect(device).toMatchObject({
      user: alice,
      deviceId: 'DEV1',
      deviceType: 'iPhone',
      model: 'iPhone 15',
      state: 'pending',
      firstSeen: { at: T0, address: '192.0.2.7', country: 'CH' },
      lastSeen: { at: T0, address: '192.0.2.7' },
      decided: null,
      notifiedAt: null,
    });
    expect(device!.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('keeps one device per user and DeviceId: the same DeviceId of another user is another device', async () => {
    const first = await devices.observe(sighting(alice, 'SHARED'));
    const second = await devices.observe(sighting(bob, 'SHARED'));
    expect(second.created).toBe(true);
    expect(second.device.id).not.toBe(first.device.id);
    expect(await devices.findOf(bob.id, 'SHARED')).toEqual(second.device);
    expect(await devices.countOfUser(alice.id)).toBe(1);
  });

  it('holds a new device, audits it, and records its refusals as attempts at most once an hour', async () => {
    const admitted = await approvals.admit(sighting(alice, 'DEV1'), origin);
    expect(admitted).toMatchObject({ created: true, verdict: 'held', device: { state: 'pending' } });
    for (let i = 0; i < 5; i++) {
      store.clock.advance(1_000);
      expect((await approvals.admit(sighting(alice, 'DEV1'), origin)).verdict).toBe('held');
    }
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      origin: { address: '192.0.2.7', door: 'activesync' },
      user: alice,
      result: 'device_held',
      reason: 'DEVICE_NOT_APPROVED',
    });
    store.clock.advance(REFUSAL_RECORD_INTERVAL);
    await approvals.admit(sighting(alice, 'DEV1'), origin);
    expect(attempts).toHaveLength(2);
    const events = await audit.recent({ userId: alice.id });
    expect(events.map((e) => e.type).sort()).toEqual(['device.held', 'device.refused', 'device.refused']);
    const held = events.find((e) => e.type === 'device.held')!;
    expect(held).toMatchObject({
      outcome: 'info',
      username: 'alice',
      address: '192.0.2.7',
      details: { door: 'activesync', device: admitted.device.id, deviceId: 'DEV1', deviceType: 'iPhone' },
    });
  });

  it('moves last seen at most once a minute, never back', async () => {
    const { device } = await approvals.admit(sighting(alice, 'DEV1'), origin);
    const statements: string[] = [];
    const stop = store.database.observeStatements((sql) => statements.push(sql));
    for (let i = 0; i < 10; i++) {
      store.clock.advance(5_000);
      await approvals.admit({ ...sighting(alice, 'DEV1'), address: '198.51.100.1' }, origin);
    }
    stop();
    expect(statements.filter((sql) => /^update "devices"/i.test(sql))).toHaveLength(0);
    store.clock.advance(10_000); // a minute after the first request
    await approvals.admit({ ...sighting(alice, 'DEV1'), address: '198.51.100.1' }, origin);
    expect((await devices.get(device.id))!.lastSeen).toEqual({ at: T0 + 60_000, address: '198.51.100.1' });
    await devices.touch(device.id, T0, '203.0.113.9');
    expect((await devices.get(device.id))!.lastSeen.at).toBe(T0 + 60_000);
  });

  it('lets the owner approve a held device, which then passes, and audits who did', async () => {
    const { device } = await approvals.admit(sighting(alice, 'DEV1'), origin);
    store.clock.advance(30_000);
    const approved = await approvals.approve(
      device.id,
      { kind: 'owner', user: alice },
      { door: 'devices', address: '192.0.2.8' },
    );
    expect(approved).toMatchObject({ state: 'approved', decided: { at: T0 + 30_000, by: 'user:alice' } });
    expect((await approvals.admit(sighting(alice, 'DEV1'), origin)).verdict).toBe('pass');
    const [event] = await audit.recent({ type: 'device.approved' });
    expect(event).toMatchObject({
      outcome: 'success',
      userId: alice.id,
      address: '192.0.2.8',
      details: { door: 'devices', by: 'user:alice', previous: 'pending', deviceId: 'DEV1' },
    });
  });

  it("hides another user's device from an owner", async () => {
    const { device } = await approvals.admit(sighting(alice, 'DEV1'), origin);
    const error = await rejectionOf(approvals.approve(device.id, { kind: 'owner', user: bob }, origin));
    expect(DeviceErrors.is(error, 'DEVICE_NOT_FOUND')).toBe(true);
    expect((await devices.get(device.id))!.state).toBe('pending');
    expect(
      DeviceErrors.is(
        await rejectionOf(approvals.approve('nope', { kind: 'cli' }, origin)),
        'DEVICE_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('keeps a rejected device refused until an administrator clears it; then it is asked again', async () => {
    const { device } = await approvals.admit(sighting(alice, 'DEV1'), origin);
    expect(await devices.claimNotification(device.id, T0)).toBe(true);
    expect(await devices.claimNotification(device.id, T0)).toBe(false);
    const owner = { kind: 'owner', user: alice } as const;
    await approvals.reject(device.id, owner, { door: 'devices' });
    expect((await approvals.admit(sighting(alice, 'DEV1'), origin)).verdict).toBe('refused');
    expect(attempts.at(-1)).toMatchObject({ result: 'denied', reason: 'DEVICE_REJECTED' });
    // The owner can neither approve nor remove it now.
    expect(
      DeviceErrors.is(await rejectionOf(approvals.approve(device.id, owner, origin)), 'DEVICE_DECIDED'),
    ).toBe(true);
    expect(
      DeviceErrors.is(await rejectionOf(approvals.remove(device.id, owner, origin)), 'DEVICE_DECIDED'),
    ).toBe(true);
    expect((await approvals.admit(sighting(alice, 'DEV1'), origin)).verdict).toBe('refused');

    const cleared = await approvals.clear(
      device.id,
      { kind: 'administrator', name: 'root' },
      { door: 'admin' },
    );
    expect(cleared).toMatchObject({ state: 'pending', decided: null, notifiedAt: null });
    expect(await devices.claimNotification(device.id, T0 + 1)).toBe(true);
    expect((await approvals.admit(sighting(alice, 'DEV1'), origin)).verdict).toBe('held');
    const [event] = await audit.recent({ type: 'device.cleared' });
    expect(event).toMatchObject({ details: { by: 'admin:root', admin: 'root', door: 'admin' } });
    expect(await audit.count({ admin: 'root' })).toBe(1);
  });

  it('removes a device: its next request makes it new and held again', async () => {
    const { device } = await approvals.admit(sighting(alice, 'DEV1'), origin);
    await approvals.approve(device.id, { kind: 'cli' }, { door: 'cli' });
    await approvals.remove(device.id, { kind: 'owner', user: alice }, { door: 'devices' });
    expect(await devices.get(device.id)).toBeUndefined();
    const again = await approvals.admit(sighting(alice, 'DEV1'), origin);
    expect(again).toMatchObject({ created: true, verdict: 'held' });
    expect(again.device.id).not.toBe(device.id);
    expect((await audit.recent({ type: 'device.removed' }))[0]).toMatchObject({
      details: { by: 'user:alice' },
    });
  });

  it('approves a new device at once when the allowance allows it, and records by whom', async () => {
    const firstOnly: DeviceAllowance = { allows: async (s, d) => (await d.countOfUser(s.user.id)) === 1 };
    const allowing = withAllowance(firstOnly);
    const first = await allowing.admit(sighting(alice, 'DEV1'), origin);
    expect(first).toMatchObject({
      created: true,
      verdict: 'pass',
      device: { state: 'approved', decided: { by: 'allowance' } },
    });
    expect((await allowing.admit(sighting(alice, 'DEV2'), origin)).verdict).toBe('held');
    // The allowance's approval is an attempt of the owner too; the second device's hold is the other.
    expect(attempts.map((a) => [a.result, a.method])).toEqual([
      ['success', 'device_decision'],
      ['device_held', 'password'],
    ]);
    expect((await audit.recent({ type: 'device.allowed' }))[0]).toMatchObject({
      outcome: 'success',
      username: 'alice',
    });
  });

  it('lists, filters, sorts and counts devices for administrators', async () => {
    for (const [user, id, type] of [
      [alice, 'A1', 'iPhone'],
      [alice, 'A2', 'Android'],
      [bob, 'B1', 'SAMSUNGSMG991B'],
    ] as const) {
      store.clock.advance(1_000);
      await devices.observe({ ...sighting(user, id), deviceType: type, model: null });
    }
    const b1 = (await devices.findOf(bob.id, 'B1'))!;
    await devices.decide(b1.id, 'approved', { at: store.clock(), by: 'admin:root' });
    const newestFirst = { column: 'last_seen_at', direction: 'desc' } as const;
    expect((await devices.search({}, newestFirst, 10, 0)).map((d) => d.deviceId)).toEqual(['B1', 'A2', 'A1']);
    expect((await devices.search({}, newestFirst, 1, 1)).map((d) => d.deviceId)).toEqual(['A2']);
    expect((await devices.search({ state: 'pending' }, newestFirst, 10, 0)).map((d) => d.deviceId)).toEqual([
      'A2',
      'A1',
    ]);
    expect((await devices.search({ text: 'BOB' }, newestFirst, 10, 0)).map((d) => d.deviceId)).toEqual([
      'B1',
    ]);
    expect(
      (await devices.search({ text: 'android alice' }, newestFirst, 10, 0)).map((d) => d.deviceId),
    ).toEqual(['A2']);
    expect(await devices.count({ text: '%' })).toBe(0);
    expect(await devices.count({ userId: alice.id })).toBe(2);
    expect(await devices.countOfUser(bob.id, 'approved')).toBe(1);
    expect(
      (await devices.search({}, { column: 'user_name', direction: 'asc' }, 10, 0)).map((d) => d.user.name),
    ).toEqual(['alice', 'alice', 'bob']);
  });

  it('applies the Device Policy allowance: off without one, the first device within N days of enrolment, by group', async () => {
    const policies = new PoliciesRepository(store.database.db, store.clock);
    const users = new UsersRepository(store.database.db, store.clock);
    const allowing = withAllowance(devicePolicyAllowance(policies, users));
    const put = (document: unknown) => new PolicyStore(policies).put('device', 'default', document);

    // No Device Policy: held, as with a policy that leaves the allowance at 0.
    expect((await allowing.admit(sighting(alice, 'OFF1'), origin)).verdict).toBe('held');
    await put({});
    expect((await allowing.admit(sighting(bob, 'OFF2'), origin)).verdict).toBe('held');

    // 30 days: the first device of a user enrolled (created) 29 days ago passes, the second is held.
    await put({ firstDeviceWithinDays: 30, description: 'roll-out' });
    store.clock.advance(29 * 86_400_000);
    const carol = await users.create({ username: 'carol', groups: ['staff'] });
    store.clock.advance(29 * 86_400_000);
    const first = await allowing.admit(sighting({ id: carol.id, name: 'carol' }, 'C1'), origin);
    expect(first).toMatchObject({
      verdict: 'pass',
      device: { state: 'approved', decided: { by: 'allowance' } },
    });
    expect((await allowing.admit(sighting({ id: carol.id, name: 'carol' }, 'C2'), origin)).verdict).toBe(
      'held',
    );
    // Alice has a device already; Dave's first device comes 31 days after his enrolment.
    expect((await allowing.admit(sighting(alice, 'A9'), origin)).verdict).toBe('held');
    const dave = await users.create({ username: 'dave' });
    store.clock.advance(31 * 86_400_000);
    expect((await allowing.admit(sighting({ id: dave.id, name: 'dave' }, 'D1'), origin)).verdict).toBe(
      'held',
    );

    // Only for a group: Erin (not in it) is held, Frank (in it) passes.
    await put({ firstDeviceWithinDays: 30, groups: ['staff'] });
    const erin = await users.create({ username: 'erin', groups: ['guests'] });
    const frank = await users.create({ username: 'frank', groups: ['staff'] });
    expect((await allowing.admit(sighting({ id: erin.id, name: 'erin' }, 'E1'), origin)).verdict).toBe(
      'held',
    );
    expect((await allowing.admit(sighting({ id: frank.id, name: 'frank' }, 'F1'), origin)).verdict).toBe(
      'pass',
    );
    const [allowed] = await audit.recent({ type: 'device.allowed', userId: frank.id });
    expect(allowed).toMatchObject({ outcome: 'success', details: { deviceId: 'F1' } });
  });
});
