// The Samba AD DC harness (test/support/samba/) against the real DC the run shares: binds the
// way Windows AD answers them, the fixtures, the bulk load and stopping/restarting the DC.
import { existsSync, readFileSync } from 'node:fs';
import { Client, InvalidCredentialsError, StrongAuthRequiredError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  addMembers,
  attr,
  bulkUsers,
  createGroup,
  createPso,
  createUser,
  DEFAULT_PASSWORD,
  dcStatus,
  disableUser,
  expireAccount,
  guidToString,
  holdDc,
  ldapsearch,
  requireDc,
  restartDc,
  sambaTool,
  setLockoutPolicy,
  setMustChangePassword,
  setPassword,
  startDc,
  stopDc,
  text,
  unlockUser,
} from '../support/samba/index.js';

const dc = requireDc(inject('samba'));

function client(): Client {
  return new Client({ url: dc.url, tlsOptions: { ca: [readFileSync(dc.caFile)] }, connectTimeout: 5000 });
}

/** 'ok', or the AD sub-code of a refused bind (52e, 533, 701, 773, 775...). */
async function bind(who: string, password: string): Promise<string> {
  const c = client();
  try {
    await c.bind(who, password);
    return 'ok';
  } catch (error) {
    if (!(error instanceof InvalidCredentialsError)) throw error;
    return /data ([0-9a-f]+)/.exec(error.message)?.[1] ?? error.message;
  } finally {
    await c.unbind(); // after a failed bind the socket stays open otherwise
  }
}

async function one(filter: string, attrs: string[]) {
  const entries = await ldapsearch(dc, filter, attrs);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

let release: () => Promise<void>;
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
});
afterAll(async () => {
  await release?.();
});

describe('binds', () => {
  it('binds the Administrator by DN, UPN and DOMAIN\\name over LDAPS with our own CA', async () => {
    expect(await bind(dc.adminDn, ADMIN_PASSWORD)).toBe('ok');
    expect(await bind(dc.adminUpn, ADMIN_PASSWORD)).toBe('ok');
    expect(await bind(`${dc.domain}\\Administrator`, ADMIN_PASSWORD)).toBe('ok');
  });

  it('refuses simple binds without TLS, as AD does', async () => {
    const c = new Client({ url: dc.ldapUrl });
    try {
      // resultCode 8, strongerAuthRequired: "Transport encryption required"
      await expect(c.bind(dc.adminUpn, ADMIN_PASSWORD)).rejects.toThrow(StrongAuthRequiredError);
    } finally {
      await c.unbind();
    }
  });

  it('binds a created user by UPN, DOMAIN\\sam and DN; a wrong password answers data 52e and counts', async () => {
    const user = await createUser(dc, {
      sam: 'hx-alice',
      givenName: 'Alice',
      sn: 'Liddell',
      displayName: 'Alice Liddell',
      mail: 'alice@example.test',
      mobile: '+33612345678',
      telephoneNumber: '+33123456789',
    });
    expect(await bind('hx-alice@example.test', DEFAULT_PASSWORD)).toBe('ok');
    expect(await bind('EXAMPLE\\hx-alice', DEFAULT_PASSWORD)).toBe('ok');
    expect(await bind(user.dn, DEFAULT_PASSWORD)).toBe('ok');
    expect(await bind('hx-alice', DEFAULT_PASSWORD)).toBe('52e'); // a bare name is no bind name

    const count = async () =>
      Number(attr(await one('(sAMAccountName=hx-alice)', ['badPwdCount']), 'badPwdCount'));
    const before = await count();
    expect(await bind('hx-alice@example.test', 'wrong-password')).toBe('52e');
    expect(await bind('EXAMPLE\\hx-alice', 'wrong-password')).toBe('52e');
    expect(await count()).toBe(before + 2);

    const entry = await one('(sAMAccountName=hx-alice)', [
      'mail',
      'mobile',
      'telephoneNumber',
      'displayName',
    ]);
    expect(entry.attributes).toMatchObject({
      mail: ['alice@example.test'],
      mobile: ['+33612345678'],
      telephoneNumber: ['+33123456789'],
      displayName: ['Alice Liddell'],
    });
  });

  it('binds with a UPN in the second suffix, and keeps non-ASCII names', async () => {
    await createUser(dc, { sam: 'hx-bob', upn: `bob@${dc.altUpnSuffix}`, givenName: 'Bøb', sn: 'Müller' });
    expect(await bind(`bob@${dc.altUpnSuffix}`, DEFAULT_PASSWORD)).toBe('ok');
    const entry = await one('(sAMAccountName=hx-bob)', ['givenName', 'sn', 'userPrincipalName']);
    expect(entry.base64).toContain('sn'); // ldapsearch prints non-ASCII values base64
    expect(text(entry, 'sn')).toEqual(['Müller']);
    expect(text(entry, 'userPrincipalName')).toEqual(['bob@example.com']);
  });

  it('answers the AD sub-codes: disabled 533, must change 773, expired 701, locked 775', async () => {
    const disabled = await createUser(dc, { sam: 'hx-disabled' });
    await disableUser(dc, disabled);
    const mustChange = await createUser(dc, { sam: 'hx-mustchange' });
    await setMustChangePassword(dc, mustChange);
    const expired = await createUser(dc, { sam: 'hx-expired' });
    await expireAccount(dc, expired);
    expect(await bind(disabled.upn, DEFAULT_PASSWORD)).toBe('533');
    expect(await bind(mustChange.upn, DEFAULT_PASSWORD)).toBe('773');
    expect(await bind(expired.upn, DEFAULT_PASSWORD)).toBe('701');

    const locked = await createUser(dc, { sam: 'hx-locked' });
    for (let i = 1; i <= 5; i++) expect(await bind(locked.upn, `wrong-${i}`)).toBe('52e');
    expect(await bind(locked.upn, DEFAULT_PASSWORD)).toBe('775'); // threshold 5 of the domain
    expect(attr(await one('(sAMAccountName=hx-locked)', ['badPwdCount']), 'badPwdCount')).toBe('5');
    await unlockUser(dc, locked);
    expect(await bind(locked.upn, DEFAULT_PASSWORD)).toBe('ok');
  });
});

describe('directory data', () => {
  it('prints objectGUID base64, the same 16 bytes ldapts reads and samba-tool shows', async () => {
    await createUser(dc, { sam: 'hx-guid' });
    const entry = await one('(sAMAccountName=hx-guid)', ['objectGUID']);
    expect(entry.base64).toEqual(['objectGUID']);
    const base64 = attr(entry, 'objectGUID')!;
    expect(Buffer.from(base64, 'base64')).toHaveLength(16);

    const c = client();
    try {
      await c.bind(dc.adminUpn, ADMIN_PASSWORD);
      const { searchEntries } = await c.search(dc.baseDn, {
        filter: '(sAMAccountName=hx-guid)',
        attributes: ['objectGUID'],
        explicitBufferAttributes: ['objectGUID'],
      });
      expect((searchEntries[0]!.objectGUID as Buffer).toString('base64')).toBe(base64);
    } finally {
      await c.unbind();
    }
    const shown = await sambaTool(dc, 'user', 'show', 'hx-guid', '--attributes=objectGUID');
    expect(shown).toContain(`objectGUID: ${guidToString(base64)}`);
  });

  it('shows nested membership through the matching rule 1.2.840.113556.1.4.1941, direct in memberOf', async () => {
    const carol = await createUser(dc, { sam: 'hx-carol' });
    const team = await createGroup(dc, { name: 'hx-team', members: [carol] });
    const department = await createGroup(dc, { name: 'hx-department' });
    const company = await createGroup(dc, { name: 'hx-company', scope: 'universal' });
    await addMembers(dc, department, [team]);
    await addMembers(dc, company, [department]);

    const direct = await one('(sAMAccountName=hx-carol)', ['memberOf']);
    expect(direct.attributes.memberOf).toEqual([team.dn]);
    const nested = await ldapsearch(
      dc,
      `(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=${company.dn}))`,
    );
    expect(nested.map((e) => e.dn)).toEqual([carol.dn]);
    const groups = await ldapsearch(dc, `(member:1.2.840.113556.1.4.1941:=${carol.dn})`);
    expect(groups.map((e) => e.dn).sort()).toEqual([company.dn, department.dn, team.dn].sort());
  });

  it('applies a fine-grained password policy to one group', async () => {
    const strict = await createUser(dc, { sam: 'hx-strict' });
    const relaxed = await createUser(dc, { sam: 'hx-relaxed' });
    const admins = await createGroup(dc, { name: 'hx-pso-group', members: [strict] });
    const pso = await createPso(dc, { name: 'hx-pso', appliesTo: [admins], minPasswordLength: 14 });
    const resultant = await one('(sAMAccountName=hx-strict)', ['msDS-ResultantPSO']);
    expect(attr(resultant, 'msDS-ResultantPSO')).toBe(pso.dn);
    await expect(setPassword(dc, strict, 'Short-Pass-1!')).rejects.toThrow(/Constraint violation/i);
    await setPassword(dc, relaxed, 'Short-Pass-1!');
    expect(await bind(relaxed.upn, 'Short-Pass-1!')).toBe('ok');
  });

  it('sets the domain lockout policy with samba-tool', async () => {
    await setLockoutPolicy(dc, { threshold: 5, durationMinutes: 30, resetAfterMinutes: 30 });
    const domain = await ldapsearch(dc, '(objectClass=*)', ['lockoutThreshold', 'lockoutDuration'], {
      scope: 'base',
    });
    expect(domain[0]!.attributes).toEqual({ lockoutThreshold: ['5'], lockoutDuration: ['-18000000000'] });
  });

  it('creates 2,000 users with one LDIF in well under a minute', { timeout: 180_000 }, async () => {
    const bulk = await bulkUsers(dc, 2000, 'hxbulk', { group: true });
    console.info(`samba-dc: 2,000 users and their group in ${bulk.ms} ms`);
    expect(bulk.ms).toBeLessThan(45_000);
    const users = await ldapsearch(
      dc,
      '(objectClass=user)',
      ['sAMAccountName', 'mobile', 'userAccountControl'],
      {
        base: bulk.ou,
      },
    );
    expect(users).toHaveLength(2000);
    expect(attr(users.find((e) => e.dn === bulk.users[41]!.dn)!, 'mobile')).toBe('+4915100000042');
    expect(new Set(users.map((e) => attr(e, 'userAccountControl')))).toEqual(new Set(['544']));
    const members = await ldapsearch(dc, `(memberOf=${bulk.group!.dn})`, ['dn']);
    expect(members).toHaveLength(2000);
    // The few that must bind get a password of their own.
    await setPassword(dc, bulk.users[0]!, DEFAULT_PASSWORD);
    expect(await bind(bulk.users[0]!.upn, DEFAULT_PASSWORD)).toBe('ok');
  });
});

describe('the DC process', () => {
  it('stops and starts again with its data, and restarts', { timeout: 120_000 }, async () => {
    const dave = await createUser(dc, { sam: 'hx-dave' });
    const { pid } = await dcStatus(dc);
    await stopDc(dc);
    try {
      expect(existsSync(`/proc/${pid}`)).toBe(false); // stopped and reaped: no zombie, no orphan
      expect((await dcStatus(dc)).pid).toBeNull();
      const c = client();
      try {
        await expect(c.bind(dave.upn, DEFAULT_PASSWORD)).rejects.toThrow(/ECONNREFUSED|connect/i);
      } finally {
        await c.unbind();
      }
    } finally {
      await startDc(dc);
    }
    expect(await bind(dave.upn, DEFAULT_PASSWORD)).toBe('ok');
    await restartDc(dc);
    expect(await bind(dave.upn, DEFAULT_PASSWORD)).toBe('ok');
  });

  it('restarts only once the other test files holding the DC let go of it', { timeout: 60_000 }, async () => {
    // Another file's lease, as holdDc takes it from its worker process (here: vitest's own, alive).
    const other = (action: string) =>
      fetch(new URL(`${action}?holder=${process.ppid}&mode=shared`, dc.controlUrl), { method: 'POST' });
    await other('/acquire');
    let restarted = false;
    const restart = restartDc(dc).then(() => {
      restarted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(restarted).toBe(false);
    await other('/release');
    await restart;
    expect(await bind(dc.adminUpn, ADMIN_PASSWORD)).toBe('ok');
  });
});
