// AD sync (src/directory/ad/sync.ts) against the real Samba AD DC the run shares: full and
// incremental runs, users moved out of scope or deleted, nested groups and group scope, phone
// numbers, and `passgate sync` through the real CLI. Every test works in OUs of its own (names
// carry a tag of this run), so it neither sees nor disturbs the other tests using the DC.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { FirstFactor } from '../../src/engine/first-factor.js';
import { PassgateError } from '../../src/errors.js';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { AD_PASSWORD_ENV, type AdSettings, adDirectoryConfig } from '../support/ad.js';
import { runCli, writeConfig } from '../support/cli.js';
import { createTestCore, type TestCore } from '../support/core.js';
import { BACKENDS, createTestDatabase } from '../support/databases.js';
import {
  addMembers,
  attr,
  bulkUsers,
  createGroup,
  createOu,
  createUser,
  DEFAULT_PASSWORD,
  disableUser,
  guidToString,
  holdDc,
  ldapmodify,
  ldapsearch,
  requireDc,
  type SambaDc,
} from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

const dc = requireDc(inject('samba'));
/** Tag of this run: OUs and account names are unique even on a DC that outlives the run. */
const TAG = randomBytes(2).toString('hex');

/** Directory settings with the Administrator as the service account (its password in AD_PASSWORD_ENV, as in production). */
function adDirectory(sync: NonNullable<AdSettings['sync']>) {
  return adDirectoryConfig(dc, { sync: { defaultCountry: 'FR', ...sync } });
}

/** Moves an entry under another parent (modrdn with newsuperior). */
async function move(target: SambaDc, dn: string, parent: string): Promise<string> {
  const rdn = dn.slice(0, dn.indexOf(','));
  await ldapmodify(
    target,
    `dn: ${dn}\nchangetype: modrdn\nnewrdn: ${rdn}\ndeleteoldrdn: 1\nnewsuperior: ${parent}\n`,
  );
  return `${rdn},${parent}`;
}

const remove = (dn: string) => ldapmodify(dc, `dn: ${dn}\nchangetype: delete\n`);
const replace = (dn: string, attribute: string, value: string) =>
  ldapmodify(dc, `dn: ${dn}\nchangetype: modify\nreplace: ${attribute}\n${attribute}: ${value}\n-\n`);
const removeMember = (group: string, member: string) =>
  ldapmodify(dc, `dn: ${group}\nchangetype: modify\ndelete: member\nmember: ${member}\n-\n`);

/** The code of a refused sign-in, or 'ok'. */
async function signIn(test: TestCore, username: string, password: string): Promise<string> {
  const firstFactor = new FirstFactor(
    test.core.directory,
    test.core.throttle,
    test.core.audit,
    test.core.config.loginThrottle,
  );
  try {
    await firstFactor.authenticate(username, password, { address: '192.0.2.7', door: 'test' });
    return 'ok';
  } catch (error) {
    if (error instanceof PassgateError) return error.code;
    throw error;
  }
}

let release: () => Promise<void>;
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
});
afterAll(async () => {
  await release?.();
});

/** 2,000 users by one LDIF, shared by both backends (each imports them into its own database). */
let bulk: Awaited<ReturnType<typeof bulkUsers>> | undefined;
async function bulkOnce() {
  bulk ??= await bulkUsers(dc, 2000, `sb${TAG}`, { group: true });
  return bulk;
}

describe.each(BACKENDS)('AD sync (%s)', (backend) => {
  let test: TestCore | undefined;
  const open = async (sync: Record<string, unknown>) => {
    await test?.close();
    test = await createTestCore(backend, { directory: adDirectory(sync) });
    return test;
  };
  afterAll(async () => {
    await test?.close();
    test = undefined;
  });

  describe('2,000 users', () => {
    // Each backend changes users of its own, so that both see exactly their own changes.
    const changed = backend === 'sqlite' ? { mobile: 42, disabled: 7 } : { mobile: 43, disabled: 8 };
    let users: Map<string, User>;

    it('imports all 2,000 users of one LDIF in a full sync, with their attributes', {
      timeout: 240_000,
    }, async () => {
      const { ou, users: created, group } = await bulkOnce();
      const { core, clock } = await open({ baseDns: [ou] });
      const summary = await core.adSync!.run({ full: true });
      console.info(
        `${backend}: full sync of 2,000 users in ${summary.durationMs} ms ` +
          `(${Math.round(2000 / (summary.durationMs / 1000))} users/s)`,
      );
      expect(summary).toMatchObject({ full: true, seen: 2000, created: 2000, updated: 0, removed: 0 });
      expect(summary.problems).toEqual([]);
      const all = await core.users.list({ limit: 5000 });
      expect(all.filter((u) => u.source === 'ad')).toHaveLength(2000);
      users = new Map(all.map((u) => [u.username, u]));

      const entries = await ldapsearch(dc, '(objectClass=user)', ['sAMAccountName', 'objectGUID'], {
        base: ou,
      });
      for (const i of [1, 500, 2000]) {
        const sam = created[i - 1]!.sam;
        const entry = entries.find((e) => attr(e, 'sAMAccountName') === sam)!;
        const guid = attr(entry, 'objectGUID')!;
        const user = users.get(sam.toLowerCase())!;
        expect(user).toMatchObject({
          username: sam.toLowerCase(),
          source: 'ad',
          dn: created[i - 1]!.dn,
          email: `${sam}@${dc.upnSuffix}`,
          mobile: `+49151${String(i).padStart(8, '0')}`,
          displayName: `Bulk User ${i}`,
          groups: [group!.name],
          disabled: false,
          externalId: guidToString(guid),
          removedAt: null,
          syncedAt: clock(),
        });
        expect(user.attributes).toMatchObject({
          userPrincipalName: `${sam}@${dc.upnSuffix}`,
          sAMAccountName: sam,
          givenName: 'Bulk',
          sn: `User ${i}`,
          immutableId: guid,
          objectGuid: guid,
        });
      }
    });

    it('then reads only what changed: one new mobile number and one disabled user', async () => {
      const { ou, users: created } = await bulkOnce();
      const { core, clock } = test!;
      clock.advance(60_000);
      const mobileUser = created[changed.mobile - 1]!;
      const disabledUser = created[changed.disabled - 1]!;
      await replace(mobileUser.dn, 'mobile', '06 12 34 56 78'); // national: FR by defaultCountry
      await disableUser(dc, disabledUser);

      const summary = await core.adSync!.run();
      expect(summary).toMatchObject({
        full: false,
        seen: 2,
        created: 0,
        updated: 2,
        disabled: 1,
        removed: 0,
      });
      // Only the changes came back from the DC (the domain's other changes, if any, are few).
      expect(summary.read).toBeLessThan(100);
      const mobile = (await core.users.findByUsername(mobileUser.sam))!;
      expect(mobile).toMatchObject({ mobile: '+33612345678', disabled: false, syncedAt: clock() });
      expect((await core.users.findByUsername(disabledUser.sam))!).toMatchObject({
        disabled: true,
        mobile: users.get(disabledUser.sam.toLowerCase())!.mobile,
      });
      // Everyone else is untouched.
      const other = (await core.users.findByUsername(created[99]!.sam))!;
      expect(other.updatedAt).toBe(users.get(other.username)!.updatedAt);
      expect(other.syncedAt).toBe(users.get(other.username)!.syncedAt);
      expect(ou).toBeTruthy();

      const again = await core.adSync!.run();
      expect(again).toMatchObject({ full: false, seen: 0, updated: 0, disabled: 0, removed: 0 });
    });
  });

  it('marks users moved out of scope or deleted as removed, keeps their tokens, and restores them', async () => {
    const scope = await createOu(dc, `sm${TAG}${backend}`);
    const elsewhere = await createOu(dc, `sx${TAG}${backend}`);
    const tag = `${TAG}${backend[0]}`;
    const mover = await createUser(dc, { sam: `mv${tag}`, container: scope.dn, mobile: '+33611111111' });
    const leaver = await createUser(dc, { sam: `dl${tag}`, container: scope.dn, password: null });
    const stayer = await createUser(dc, { sam: `st${tag}`, container: scope.dn, password: null });
    const { core, clock } = await open({ baseDns: [scope.dn] });
    expect(await core.adSync!.run()).toMatchObject({ full: true, created: 3 });
    const moverUser = (await core.users.findByUsername(mover.sam))!;
    const { token } = await enrolOath(
      core.tokens,
      { userId: moverUser.id, label: mover.sam, type: 'totp' },
      'Passgate',
    );
    expect(await signIn(test!, mover.upn, DEFAULT_PASSWORD)).toBe('ok');

    clock.advance(60_000);
    const movedDn = await move(dc, mover.dn, elsewhere.dn);
    await remove(leaver.dn);
    const summary = await core.adSync!.run();
    expect(summary).toMatchObject({ full: false, removed: 2, created: 0, updated: 0 });
    const moved = (await core.users.findByUsername(mover.sam))!;
    expect(moved.removedAt).toBe(clock());
    expect((await core.users.findByUsername(leaver.sam))!.removedAt).toBe(clock());
    expect((await core.users.findByUsername(stayer.sam))!.removedAt).toBeNull();
    expect((await core.tokens.listByUser(moved.id)).map((t) => t.id)).toEqual([token.id]);

    // Still in AD with a valid password, but out of scope: no sign-in, and trying does not restore them.
    expect(await signIn(test!, mover.upn, DEFAULT_PASSWORD)).toBe('ACCOUNT_DISABLED');
    expect((await core.users.findByUsername(mover.sam))!.removedAt).toBe(clock());

    // A full run keeps them marked, and does not count them again.
    clock.advance(60_000);
    expect(await core.adSync!.run({ full: true })).toMatchObject({ removed: 0, seen: 1, unchanged: 1 });

    clock.advance(60_000);
    await move(dc, movedDn, scope.dn);
    expect(await core.adSync!.run()).toMatchObject({ full: false, updated: 1, removed: 0 });
    const back = (await core.users.findByUsername(mover.sam))!;
    expect(back).toMatchObject({ id: moverUser.id, removedAt: null, dn: mover.dn, mobile: '+33611111111' });
    expect((await core.tokens.listByUser(back.id)).map((t) => t.id)).toEqual([token.id]);
    expect(await signIn(test!, mover.upn, DEFAULT_PASSWORD)).toBe('ok');
  });

  it('resolves nested groups, and sync.groups limits the scope to (nested) members', async () => {
    const ou = await createOu(dc, `sg${TAG}${backend}`);
    const tag = `${TAG}${backend[0]}`;
    const [ann, ben, cat, dan] = await Promise.all(
      ['an', 'bn', 'ct', 'dn'].map((n) =>
        createUser(dc, { sam: `${n}${tag}`, container: ou.dn, password: null }),
      ),
    );
    const team = await createGroup(dc, { name: `team${tag}`, container: ou.dn, members: [ann!] });
    const department = await createGroup(dc, { name: `dept${tag}`, container: ou.dn, members: [team] });
    const company = await createGroup(dc, {
      name: `co${tag}`,
      container: ou.dn,
      scope: 'universal',
      members: [department, cat!],
    });
    const other = await createGroup(dc, { name: `other${tag}`, container: ou.dn, members: [ben!] });

    const everyone = await open({ baseDns: [ou.dn] });
    expect(await everyone.core.adSync!.run()).toMatchObject({ created: 4 });
    const groupsOf = async (sam: string) => (await test!.core.users.findByUsername(sam))?.groups;
    expect(await groupsOf(ann!.sam)).toEqual([company.name, department.name, team.name].sort());
    expect(await groupsOf(ben!.sam)).toEqual([other.name]);
    expect(await groupsOf(cat!.sam)).toEqual([company.name]);
    expect(await groupsOf(dan!.sam)).toEqual([]);

    const { core, clock } = await open({ baseDns: [ou.dn], groups: [company.dn] });
    expect(await core.adSync!.run()).toMatchObject({ full: true, created: 2, seen: 2 });
    expect(await groupsOf(ann!.sam)).toEqual([company.name, department.name, team.name].sort());
    expect(await groupsOf(cat!.sam)).toEqual([company.name]);
    expect(await groupsOf(ben!.sam)).toBeUndefined();
    expect(await groupsOf(dan!.sam)).toBeUndefined();

    // Membership changes do not touch the users' uSNChanged in AD; the incremental run sees them anyway.
    clock.advance(60_000);
    await addMembers(dc, team, [dan!]);
    await removeMember(company.dn, cat!.dn);
    await addMembers(dc, other, [ann!]);
    expect(await core.adSync!.run()).toMatchObject({ full: false, created: 1, updated: 1, removed: 1 });
    expect(await groupsOf(dan!.sam)).toEqual([company.name, department.name, team.name].sort());
    expect(await groupsOf(ann!.sam)).toEqual([company.name, department.name, other.name, team.name].sort());
    expect((await core.users.findByUsername(cat!.sam))!.removedAt).toBe(clock());

    // A nested group leaves the scope group: its members leave the scope with it.
    clock.advance(60_000);
    await removeMember(company.dn, department.dn);
    expect(await core.adSync!.run()).toMatchObject({ full: false, removed: 2 });
    expect((await core.users.findByUsername(ann!.sam))!.removedAt).toBe(clock());
    expect((await core.users.findByUsername(dan!.sam))!.removedAt).toBe(clock());
  });

  it('reports invalid phone numbers and still imports their users', async () => {
    const ou = await createOu(dc, `sp${TAG}${backend}`);
    const tag = `${TAG}${backend[0]}`;
    const bad = await createUser(dc, {
      sam: `bad${tag}`,
      container: ou.dn,
      password: null,
      mobile: 'call me maybe',
      telephoneNumber: '12',
    });
    const national = await createUser(dc, {
      sam: `nat${tag}`,
      container: ou.dn,
      password: null,
      mobile: '06 98 76 54 32',
      telephoneNumber: '+1 650 253 0000',
    });
    const { core } = await open({ baseDns: [ou.dn] });
    const summary = await core.adSync!.run();
    expect(summary).toMatchObject({ created: 2 });
    expect(summary.problems).toEqual([
      { dn: bad.dn, attribute: 'mobile', value: 'call me maybe', reason: 'not a valid phone number' },
      { dn: bad.dn, attribute: 'telephoneNumber', value: '12', reason: 'not a valid phone number' },
    ]);
    expect(await core.users.findByUsername(bad.sam)).toMatchObject({ mobile: null, removedAt: null });
    const good = (await core.users.findByUsername(national.sam))!;
    expect(good.mobile).toBe('+33698765432');
    expect(good.attributes.telephoneNumber).toBe('+16502530000');
  });

  it('imports a new user who takes the name of a deleted one, and reports a name taken by a local user', async () => {
    const ou = await createOu(dc, `sr${TAG}${backend}`);
    const tag = `${TAG}${backend[0]}`;
    const first = await createUser(dc, { sam: `rh${tag}`, container: ou.dn, password: null });
    const clash = await createUser(dc, { sam: `lc${tag}`, container: ou.dn, password: null });
    const { core, clock, addUser } = await open({ baseDns: [ou.dn] });
    const local = await addUser(clash.sam);
    const summary = await core.adSync!.run();
    expect(summary).toMatchObject({ created: 1 });
    expect(summary.problems).toEqual([
      expect.objectContaining({ dn: clash.dn, attribute: 'sAMAccountName', value: clash.sam.toLowerCase() }),
    ]);
    expect(await core.users.findByUsername(clash.sam)).toMatchObject({ id: local.id, source: 'local' });
    const before = (await core.users.findByUsername(first.sam))!;

    clock.advance(60_000);
    await remove(first.dn);
    const second = await createUser(dc, { sam: first.sam, container: ou.dn, password: null });
    expect(await core.adSync!.run()).toMatchObject({ created: 1, removed: 1 });
    const now = (await core.users.findByUsername(second.sam))!;
    expect(now.id).not.toBe(before.id);
    expect(now.removedAt).toBeNull();
    expect(await core.users.findById(before.id)).toMatchObject({
      externalId: before.externalId,
      removedAt: clock(),
    });
  });

  it('runs in full when the last run was against another domain controller', async () => {
    const ou = await createOu(dc, `sd${TAG}${backend}`);
    await createUser(dc, { sam: `dc${TAG}${backend[0]}`, container: ou.dn, password: null });
    const { core, clock } = await open({ baseDns: [ou.dn] });
    expect(await core.adSync!.run()).toMatchObject({ full: true, created: 1 });
    clock.advance(60_000);
    expect(await core.adSync!.run()).toMatchObject({ full: false, seen: 0 });
    // USNs are local to each DC: a watermark of another DC means nothing here.
    const { DirectoryStateRepository } = await import('../../src/store/repositories/directory-state.js');
    await new DirectoryStateRepository(core.database.db, clock).set('ad:usnSource', 'another DC');
    expect(await core.adSync!.run()).toMatchObject({ full: true, seen: 1, unchanged: 1 });
  });

  it('runs one synchronisation at a time per database', async () => {
    const ou = await createOu(dc, `sl${TAG}${backend}`);
    await createUser(dc, { sam: `ls${TAG}${backend[0]}`, container: ou.dn, password: null });
    const { core } = await open({ baseDns: [ou.dn] });
    const runs = await Promise.allSettled([core.adSync!.run(), core.adSync!.run()]);
    expect(runs.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = runs.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'SYNC_RUNNING' });
    // The lease is given back at the end of a run.
    expect(await core.adSync!.run()).toMatchObject({ full: false });
  });
});

describe.each(BACKENDS)('passgate sync (%s)', (backend) => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
  });

  it('runs a full sync with a summary line, then an incremental one', { timeout: 120_000 }, async () => {
    const ou = await createOu(dc, `sc${TAG}${backend}`);
    const tag = `${TAG}${backend[0]}`;
    const users = await Promise.all(
      [1, 2, 3].map((i) =>
        createUser(dc, {
          sam: `cli${i}${tag}`,
          container: ou.dn,
          password: null,
          ...(i === 3 ? { mobile: '+33 6 12' } : {}),
        }),
      ),
    );
    const database = await createTestDatabase(backend);
    drop = database.drop;
    const { file } = writeConfig({
      database: { url: database.url },
      directory: adDirectory({ baseDns: [ou.dn] }),
    });
    const env = { [AD_PASSWORD_ENV]: dc.adminPassword };

    const full = await runCli(['sync', '--full', '--config', file], { env });
    expect(full.stderr).toBe(`warning: ${users[2]!.dn}: mobile "+33 6 12" not a valid phone number\n`);
    expect(full.stdout).toMatch(
      /^Full sync: 3 users read in \d+\.\d s — created 3, updated 0, disabled 0, removed 0, 1 invalid values \(see warnings\)\.\n$/,
    );
    expect(full.code).toBe(0);

    await disableUser(dc, users[0]!);
    await remove(users[1]!.dn);
    const incremental = await runCli(['sync', '--config', file], { env });
    expect(incremental.stdout).toMatch(
      /^Incremental sync: 1 users read in \d+\.\d s — created 0, updated 1, disabled 1, removed 1\.\n$/,
    );
    expect(incremental.code).toBe(0);

    const list = await runCli(['user', 'list', '--config', file], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(users[2]!.sam.toLowerCase());
  });
});

describe('scheduled AD sync in the server', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('runs at start-up, then on its interval, logged and audited', { timeout: 60_000 }, async () => {
    const ou = await createOu(dc, `ss${TAG}`);
    const user = await createUser(dc, { sam: `sch${TAG}`, container: ou.dn, password: null });
    server = await startTestServer({
      config: { directory: adDirectory({ baseDns: [ou.dn], enabled: true, intervalMinutes: 60 }) },
    });
    const { core } = server;
    const deadline = Date.now() + 20_000;
    while (!(await core.users.findByUsername(user.sam)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await core.users.findByUsername(user.sam)).toMatchObject({ source: 'ad', dn: user.dn });
    await expect
      .poll(() => server!.logs.some((line) => line.includes('AD sync done')), { timeout: 5000 })
      .toBe(true);
    const line = JSON.parse(server.logs.find((l) => l.includes('AD sync done'))!);
    expect(line).toMatchObject({ full: true, created: 1, problems: 0 });
    const events = await core.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('type', '=', 'directory.sync')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success' });
  });
});

it('passgate sync fails with one clear line when the directory is not AD', async () => {
  const { file } = writeConfig({});
  const run = await runCli(['sync', '--config', file]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^passgate: configuration error: .*directory\.type.*\n$/);
});
