import type { User } from '../../../store/repositories/users.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import { fieldValues } from './user-values.js';

/**
 * The issuer Passgate signs as for `user` at `sp`. Microsoft 365 sends one SP entity for every
 * federated domain, while each domain was federated with its own IssuerUri: `issuerByDomain`
 * picks the issuer by the domain of the user's UPN (else e-mail address), the longest matching
 * suffix winning; otherwise the SP's `issuer`, else Passgate's entity ID.
 */
export function issuerFor(sp: ServiceProvider, user: User | undefined, defaultIssuer: string): string {
  const fallback = sp.settings.issuer ?? defaultIssuer;
  const byDomain = sp.settings.issuerByDomain;
  if (!user || Object.keys(byDomain).length === 0) return fallback;
  const domain = userDomain(user);
  if (!domain) return fallback;
  let best: string | undefined;
  for (const suffix of Object.keys(byDomain)) {
    const matches = domain === suffix || domain.endsWith(`.${suffix}`);
    if (matches && (best === undefined || suffix.length > best.length)) best = suffix;
  }
  return best === undefined ? fallback : byDomain[best]!;
}

/** The lower-cased domain of the user's UPN (AD users), else of their e-mail address. */
export function userDomain(user: User): string | undefined {
  const address = fieldValues(user, 'userPrincipalName')[0] ?? fieldValues(user, 'email')[0];
  const at = address?.lastIndexOf('@') ?? -1;
  return address && at >= 0 ? address.slice(at + 1).toLowerCase() : undefined;
}
