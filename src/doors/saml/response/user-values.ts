import type { User } from '../../../store/repositories/users.js';
import type { AttributeSource } from '../service-providers/sp-file.js';

/** Passgate's own user fields; any other name is looked up in the directory attributes. */
const FIELDS: Record<string, (user: User) => unknown> = {
  id: (u) => u.id,
  username: (u) => u.username,
  displayName: (u) => u.displayName,
  email: (u) => u.email,
  mobile: (u) => u.mobile,
  groups: (u) => u.groups,
  externalId: (u) => u.externalId,
  dn: (u) => u.dn,
};

/** The values of one user field or directory attribute (several for groups), as text. */
export function fieldValues(user: User, name: string): string[] {
  const raw = FIELDS[name] ? FIELDS[name](user) : user.attributes[name];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((v) => v !== null && v !== undefined && v !== '').map((v) => String(v));
}

/** The values of the first source the user has (sources are tried in order). */
export function firstValues(user: User, sources: readonly string[]): string[] {
  for (const source of sources) {
    const values = fieldValues(user, source);
    if (values.length > 0) return values;
  }
  return [];
}

/** The values of a mapped SAML attribute. */
export function attributeValues(user: User, source: AttributeSource): string[] {
  return 'value' in source ? [source.value] : firstValues(user, source.from);
}
