// Group and organizational-unit fixtures, created over LDAPS.
import type { SambaDc } from './domain.js';
import { ldapmodify } from './ldap.js';
import { dnOf, ldifLine, type Ref } from './ldif.js';

/** A group, OU or policy object the fixtures created. */
export interface AdObject {
  dn: string;
  name: string;
}

const GROUP_TYPE = { global: 0x2, domainLocal: 0x4, universal: 0x8 };

/** Creates a security group (global unless `scope` says otherwise), optionally with members. */
export async function createGroup(
  dc: SambaDc,
  {
    name,
    container,
    scope = 'global',
    members = [],
    mail,
    description,
  }: {
    name: string;
    container?: string;
    scope?: keyof typeof GROUP_TYPE;
    members?: Ref[];
    mail?: string;
    description?: string;
  },
): Promise<AdObject> {
  const dn = `CN=${name},${container ?? `CN=Users,${dc.baseDn}`}`;
  const groupType = (GROUP_TYPE[scope] | 0x80000000) >> 0; // security-enabled: signed 32-bit
  const lines = [
    ldifLine('dn', dn),
    'objectClass: group',
    ldifLine('sAMAccountName', name),
    `groupType: ${groupType}`,
    ...(mail ? [ldifLine('mail', mail)] : []),
    ...(description ? [ldifLine('description', description)] : []),
    ...members.map((m) => ldifLine('member', dnOf(m))),
  ];
  await ldapmodify(dc, `${lines.join('\n')}\n`, { add: true });
  return { dn, name };
}

/** Adds members (users or groups, as DNs or fixture objects) to a group; a group gives nesting. */
export async function addMembers(dc: SambaDc, group: Ref, members: Ref[]): Promise<void> {
  const lines = [ldifLine('dn', dnOf(group)), 'changetype: modify', 'add: member'];
  for (const m of members) lines.push(ldifLine('member', dnOf(m)));
  await ldapmodify(dc, `${lines.join('\n')}\n-\n`);
}

/** Creates an organizational unit under `parent` (the domain by default). */
export async function createOu(dc: SambaDc, name: string, parent?: string): Promise<AdObject> {
  const dn = `OU=${name},${parent ?? dc.baseDn}`;
  await ldapmodify(dc, `${ldifLine('dn', dn)}\nobjectClass: organizationalUnit\n`, { add: true });
  return { dn, name };
}
