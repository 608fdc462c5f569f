// licences.rules at AD sync (src/licences/rules.ts, hooked in src/server/core.ts): members of an AD
// group get an MFA seat at every run, idempotently, oldest users first while the licence has seats;
// seats given by hand are never taken back; against the real Samba AD DC, in an OU of its own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signedLicenceFile, vendorKeys } from '../licences/vendor.js';
import { adDirectoryConfig } from '../support/ad.js';
import { createTestCore, type TestCore } from '../support/core.js';
import {
  addMembers,
  createGroup,
  createOu,
  createUser,
  holdDc,
  ldapmodify,
  requireDc,
} from '../support/samba/index.js';

const dc = requireDc(inject('samba'));
const TAG = randomBytes(2).toString('hex');

describe('seat rules at AD sync', () => {
  let release: () => Promise<void>;
  let test: TestCore;
  beforeAll(async () => {
    release = await holdDc(dc, 'shared');
  });
  afterAll(async () => {
    await test?.close();
    await release?.();
  });

  it('gives members seats idempotently, keeps hand seats, takes back rule seats of leavers, and stops at capacity', async () => {
    const scope = await createOu(dc, `sr${TAG}`);
    const [ann, bob, cat, dan, eve] = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((p) =>
        createUser(dc, { sam: `s${p}${TAG}`, container: scope.dn, password: null }),
      ),
    );
    const group = await createGroup(dc, {
      name: `MFA Users ${TAG}`,
      container: scope.dn,
      members: [ann!, bob!, cat!],
    });
    const vendor = vendorKeys();
    test = await createTestCore('sqlite', {
      directory: adDirectoryConfig(dc, { sync: { defaultCountry: 'FR', baseDns: [scope.dn] } }),
      licences: {
        file: signedLicenceFile(vendor.privatePem, { pools: { mfa: 3, reset: 0 }, expires: '2099-12-31' }),
        publicKey: vendor.publicPem,
        customer: 'Example Ltd',
        // The group's name in another case: groups match case-insensitively.
        rules: [{ pool: 'mfa', group: `mfa users ${TAG}` }],
      },
    });
    const { core, clock } = test;
    const id = async (sam: string) => (await core.users.findByUsername(sam))!.id;
    const holders = async () => {
      const seats = await core.repositories.seats.ofPool('mfa');
      const names = new Map<string, string>();
      for (const ad of [ann, bob, cat, dan, eve]) names.set(await id(ad!.sam), ad!.sam.toLowerCase());
      return seats.map((s) => `${names.get(s.userId)}:${s.via}`).sort();
    };

    // Everyone is imported, whatever the seats; the three members get one.
    const first = await core.adSync!.run();
    expect(first).toMatchObject({ full: true, created: 5 });
    expect(first.seats).toEqual([{ pool: 'mfa', members: 3, allocated: 3, released: 0, withoutSeat: 0 }]);
    const sam = (ad: { sam: string } | undefined) => ad!.sam.toLowerCase();
    expect(await holders()).toEqual([`${sam(ann)}:rule`, `${sam(bob)}:rule`, `${sam(cat)}:rule`]);

    // Idempotent: a run without changes gives and takes nothing.
    clock.advance(60_000);
    expect((await core.adSync!.run()).seats).toEqual([
      { pool: 'mfa', members: 3, allocated: 0, released: 0, withoutSeat: 0 },
    ]);

    // An administrator's seat for ann (given by hand) outlives her leaving the group; bob's rule seat does not.
    await core.seats.release([await id(ann!.sam)], 'mfa', 'admin');
    await core.seats.allocate([await id(ann!.sam)], 'mfa', 'admin');
    await ldapmodify(
      dc,
      `dn: ${group.dn}\nchangetype: modify\ndelete: member\nmember: ${ann!.dn}\nmember: ${bob!.dn}\n-\n`,
    );
    await addMembers(dc, group, [dan!]);
    clock.advance(60_000);
    expect((await core.adSync!.run()).seats).toEqual([
      { pool: 'mfa', members: 2, allocated: 1, released: 1, withoutSeat: 0 },
    ]);
    expect(await holders()).toEqual([`${sam(ann)}:hand`, `${sam(cat)}:rule`, `${sam(dan)}:rule`]);

    // The pool is full: a new member is left without a seat, reported in the result; nothing is taken from anyone.
    await addMembers(dc, group, [eve!]);
    clock.advance(60_000);
    expect((await core.adSync!.run()).seats).toEqual([
      { pool: 'mfa', members: 3, allocated: 0, released: 0, withoutSeat: 1 },
    ]);
    expect(await holders()).toEqual([`${sam(ann)}:hand`, `${sam(cat)}:rule`, `${sam(dan)}:rule`]);
    const [rules] = await core.audit.recent({ type: 'seat.rules', limit: 1 });
    expect(rules?.details).toEqual({
      pools: [{ pool: 'mfa', members: 3, allocated: 0, released: 0, withoutSeat: 1 }],
    });
  });
});
