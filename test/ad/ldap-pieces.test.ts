import { EqualityFilter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { bindRefusal } from '../../src/directory/ad/bind-outcome.js';
import { loginNameFilter, parseLoginName } from '../../src/directory/ad/login-name.js';
import { guidToBase64, guidToUuid } from '../../src/directory/ad/object-guid.js';

const USERS = new EqualityFilter({ attribute: 'objectClass', value: 'user' });

describe('login names', () => {
  it('recognises sAMAccountName, UPN and DOMAIN\\user', () => {
    expect(parseLoginName('alice')).toEqual({ form: 'sAMAccountName', value: 'alice' });
    expect(parseLoginName(' alice@example.test ')).toEqual({
      form: 'userPrincipalName',
      value: 'alice@example.test',
    });
    expect(parseLoginName('EXAMPLE\\alice')).toEqual({
      form: 'down-level',
      domain: 'EXAMPLE',
      value: 'alice',
    });
    expect(parseLoginName('\\alice')).toMatchObject({ form: 'sAMAccountName' });
    expect(parseLoginName('a\\b\\c')).toBeUndefined();
    expect(parseLoginName('ali\u0000ce')).toBeUndefined();
  });

  it('escapes every value it puts in a filter (RFC 4515)', () => {
    for (const hostile of ['*', ')(', '\\00', '*)(objectClass=*', 'al*ce', '(uid=*)']) {
      const filter = loginNameFilter(parseLoginName(hostile)!, USERS, 'EXAMPLE')!.toString();
      expect(filter).not.toMatch(/=\*\)/);
      expect(filter.match(/\(/g)!.length).toBe(filter.match(/\)/g)!.length);
      for (const raw of ['*', '(', ')'])
        expect(hostile.includes(raw) ? filter.includes(`\\${raw.charCodeAt(0).toString(16)}`) : true).toBe(
          true,
        );
    }
    expect(loginNameFilter(parseLoginName('*)(objectClass=*')!, USERS)!.toString()).toBe(
      '(&(objectClass=user)(|(sAMAccountName=\\2a\\29\\28objectClass=\\2a)(userPrincipalName=\\2a\\29\\28objectClass=\\2a)))',
    );
  });

  it('finds nothing for another domain’s down-level name', () => {
    expect(loginNameFilter(parseLoginName('OTHER\\alice')!, USERS, 'EXAMPLE')).toBeUndefined();
    expect(loginNameFilter(parseLoginName('example\\alice')!, USERS, 'EXAMPLE')!.toString()).toBe(
      '(&(objectClass=user)(sAMAccountName=alice))',
    );
  });
});

describe('objectGUID', () => {
  it('is base64 of the raw bytes, and a UUID with the first three groups little-endian', () => {
    const bytes = Buffer.from('6f1c3a8e2b4d5e4f8a9b0c1d2e3f4a5b', 'hex');
    expect(guidToBase64(bytes)).toBe('bxw6jitNXk+Kmwwd Lj9KWw=='.replace(' ', ''));
    expect(guidToUuid(bytes)).toBe('8e3a1c6f-4d2b-4f5e-8a9b-0c1d2e3f4a5b');
  });
});

describe('AD bind refusals', () => {
  it.each([
    ['52e', 'INVALID_CREDENTIALS'],
    ['775', 'ACCOUNT_LOCKED'],
    ['773', 'PASSWORD_MUST_CHANGE'],
    ['532', 'PASSWORD_EXPIRED'],
    ['533', 'ACCOUNT_DISABLED'],
    ['701', 'ACCOUNT_EXPIRED'],
    ['530', 'LOGON_RESTRICTED'],
    ['531', 'LOGON_RESTRICTED'],
  ])('maps data %s to %s', (code, expected) => {
    const diagnostic = `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${code}, v4563`;
    expect(bindRefusal(diagnostic, 'alice').code).toBe(expected);
  });

  it('tells the user only what is safe', () => {
    const message = (code: string) => bindRefusal(`error, data ${code}, v1`, 'alice').publicMessage;
    expect(message('775')).toBe(message('52e'));
    expect(message('701')).toBe(message('52e'));
    expect(message('532')).toMatch(/expired/);
    expect(message('773')).toMatch(/must change/);
  });
});
