import { AndFilter, EqualityFilter, type Filter, OrFilter } from 'ldapts';

/** The forms a user may type their name in: `alice`, `alice@example.com`, `EXAMPLE\alice`. */
export type LoginName =
  | { form: 'sAMAccountName'; value: string }
  | { form: 'userPrincipalName'; value: string }
  | { form: 'down-level'; domain: string; value: string };

/** Recognises the form of a login name (no lookup yet). */
export function parseLoginName(input: string): LoginName | undefined {
  const name = input.trim();
  // Control characters have no place in a login name (and NUL ends strings in some DCs).
  if (!name || [...name].some((c) => c.charCodeAt(0) < 0x20)) return undefined;
  const backslash = name.indexOf('\\');
  if (backslash > 0) {
    const value = name.slice(backslash + 1);
    return value && !value.includes('\\')
      ? { form: 'down-level', domain: name.slice(0, backslash), value }
      : undefined;
  }
  if (name.includes('@')) return { form: 'userPrincipalName', value: name };
  return { form: 'sAMAccountName', value: name };
}

/**
 * The LDAP filter that finds a login name's entry among the users. Values go through ldapts'
 * filter objects, which escape them (RFC 4515): `*`, `(`, `)`, `\` and NUL can never widen the
 * search. A down-level name of another domain finds nothing.
 */
export function loginNameFilter(
  login: LoginName,
  userFilter: Filter,
  netbiosDomain?: string,
): Filter | undefined {
  if (login.form === 'down-level' && login.domain.toUpperCase() !== netbiosDomain?.toUpperCase())
    return undefined;
  const byName =
    login.form === 'userPrincipalName'
      ? new EqualityFilter({ attribute: 'userPrincipalName', value: login.value })
      : login.form === 'down-level'
        ? new EqualityFilter({ attribute: 'sAMAccountName', value: login.value })
        : new OrFilter({
            filters: [
              new EqualityFilter({ attribute: 'sAMAccountName', value: login.value }),
              new EqualityFilter({ attribute: 'userPrincipalName', value: login.value }),
            ],
          });
  return new AndFilter({ filters: [userFilter, byName] });
}
