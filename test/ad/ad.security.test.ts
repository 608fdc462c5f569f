// Hostile input at the AD sign-in, against the real Samba AD DC of the run: LDAP filter
// metacharacters in login names never widen the search to another user (every fixture user has
// the same password, so a match would sign in), and odd passwords never become anonymous binds.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AdDirectory } from '../../src/directory/ad/ad-directory.js';
import {
  type AdCore,
  badPwdCount,
  code,
  createAdCore,
  directBind,
  recordBinds,
  rejection,
} from '../support/ad.js';
import { createGroup, createUser, DEFAULT_PASSWORD, holdDc, requireDc } from '../support/samba/index.js';

const dc = requireDc(inject('samba'));

let release: () => Promise<void>;
let ad: AdCore;
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
  ad = await createAdCore(dc, { config: { loginThrottle: { perUser: { maxFailures: 100 } } } });
  await createUser(dc, { sam: 'as-victim' });
  await createUser(dc, { sam: 'as-other', upn: `as-other@${dc.altUpnSuffix}` });
});
afterAll(async () => {
  await ad?.close();
  await release?.();
});

describe('LDAP injection in the login name', () => {
  const hostile = [
    '*',
    ')(',
    '\\00',
    '\\2a',
    '*)(objectClass=*',
    '*)(|(sAMAccountName=*',
    'as-victim)(objectClass=*',
    'as-vic*',
    '*victim',
    'as-victim*',
    '*@example.test',
    '*@*',
    'as-other@*',
    'EXAMPLE\\*',
    'EXAMPLE\\as-vic*',
    '*\\as-victim',
    '(',
    ')',
    '\u0000',
    'as-victim\u0000',
    'as-victim\u0000)(objectClass=*',
    '\u0000*',
  ];

  it.each(hostile.map((name) => [JSON.stringify(name), name]))(
    '%s matches no user and binds as nobody',
    async (_label, name) => {
      const binds = recordBinds();
      try {
        expect(await code(ad.login(name, DEFAULT_PASSWORD))).toBe('INVALID_CREDENTIALS');
        expect(await code(ad.core.directory.authenticate(name, DEFAULT_PASSWORD))).toBe(
          'INVALID_CREDENTIALS',
        );
        expect(binds.userBinds(dc.adminDn)).toEqual([]);
      } finally {
        binds.restore();
      }
    },
  );

  it('leaves the users it did not match untouched', async () => {
    expect(await badPwdCount(dc, 'as-victim')).toBe(0);
    expect((await ad.login('as-victim', DEFAULT_PASSWORD)).username).toBe('as-victim');
    expect((await ad.login('as-other@example.com', DEFAULT_PASSWORD)).username).toBe('as-other');
  });

  it('puts a DN full of filter metacharacters safely into the nested-group search', async () => {
    const user = await createUser(dc, { sam: 'as-meta', cn: 'as (meta) * \\, user' });
    expect(user.dn).toContain('(meta)');
    const group = await createGroup(dc, { name: 'as-meta-group', members: [user] });
    await createGroup(dc, { name: 'as-meta-outer', members: [group] });
    const signedIn = await ad.login('as-meta', DEFAULT_PASSWORD);
    expect(signedIn.dn?.toLowerCase()).toBe(user.dn.toLowerCase());
    expect(signedIn.groups).toEqual(['as-meta-group', 'as-meta-outer']);
  });
});

describe('passwords that are no password', () => {
  it.each([
    ['NUL', '\u0000', 'as-pw-nul'],
    ['NUL then text', '\u0000Passgate', 'as-pw-nultext'],
    ['the right one, NUL and more', `${DEFAULT_PASSWORD}\u0000more`, 'as-pw-suffix'],
    ['spaces', '    ', 'as-pw-spaces'],
    ['a tab and a newline', '\t\n', 'as-pw-tab'],
  ])('a password of %s does not sign in, and costs AD nothing', async (_label, password, sam) => {
    await createUser(dc, { sam });
    const binds = recordBinds();
    try {
      expect(await code(ad.login(sam, password))).toBe('INVALID_CREDENTIALS');
      expect(await code(ad.core.directory.authenticate(sam, password))).toBe('INVALID_CREDENTIALS');
      expect(binds.userBinds(dc.adminDn)).toEqual([]);
    } finally {
      binds.restore();
    }
    expect(await badPwdCount(dc, sam)).toBe(0);
  });

  it('binds as the user’s DN, never as the name typed (which AD might resolve differently)', async () => {
    const binds = recordBinds();
    try {
      await ad.login('EXAMPLE\\as-victim', DEFAULT_PASSWORD);
      await ad.login('as-victim@example.test', DEFAULT_PASSWORD);
      expect(binds.userBinds(dc.adminDn)).toEqual([
        `CN=as-victim,CN=Users,${dc.baseDn}`,
        `CN=as-victim,CN=Users,${dc.baseDn}`,
      ]);
    } finally {
      binds.restore();
    }
  });
});

describe('password writes on an unencrypted connection', () => {
  it('are refused before anything is sent over ldap:// without StartTLS; the same DC over StartTLS takes them', async () => {
    const user = await createUser(dc, { sam: 'as-plain' });
    const host = new URL(dc.url).hostname;
    const plain = await createAdCore(dc, {
      directory: { urls: [`ldap://${host}:389`], allowPlainLdap: true },
    });
    const binds = recordBinds();
    try {
      const reset = await rejection(plain.core.directory.resetPassword(user.sam, 'Never-sent-1'));
      expect(reset.code).toBe('PASSWORD_WRITE_UNENCRYPTED');
      expect(reset.status).toBe(503);
      expect(reset.publicMessage).not.toMatch(/ldap/i);
      expect(reset.message).toContain(`ldap://${host}:389 is plain LDAP`);
      const directory = plain.core.directory as AdDirectory;
      expect(await code(directory.changePassword(user.sam, DEFAULT_PASSWORD, 'Never-sent-2'))).toBe(
        'PASSWORD_WRITE_UNENCRYPTED',
      );
      expect(binds.spy).not.toHaveBeenCalled();
    } finally {
      binds.restore();
      await plain.close();
    }
    expect(await directBind(dc, user.dn, DEFAULT_PASSWORD)).toBe('ok');
    const startTls = await createAdCore(dc, { directory: { urls: [`ldap://${host}:389`], startTls: true } });
    try {
      await startTls.core.directory.resetPassword(user.sam, 'Over-start-tls-3');
    } finally {
      await startTls.close();
    }
    expect(await directBind(dc, user.dn, 'Over-start-tls-3')).toBe('ok');
  });
});
