import type { Request } from 'express';
import { AUTHENTICATION_KIND } from '../../../policy/authentication/rule.js';
import { POLICY_KIND_NAMES } from '../../../policy/kinds.js';
import { administratorPolicyStore, type PolicyStore } from '../../../policy/policy-store.js';
import { AdminErrors } from '../errors.js';
import type { AdminSite } from '../page.js';

/** The policies page. */
export const POLICIES_PATH = '/admin/policies';

/** The kinds whose order matters (rules are checked in order, Load Balancing Policies chosen in order). */
export const ORDERED_KINDS: readonly string[] = [AUTHENTICATION_KIND, 'load-balancing'];

/** The policy store as administrators change it, over the site's core (the CLI's, too). */
export function policyStoreOf(site: AdminSite): PolicyStore {
  return administratorPolicyStore(site.context.core);
}

/** The `:kind` of a route, one of the policy kinds; ADMIN_NOT_FOUND otherwise. */
export function kindOf(req: Request): string {
  const kind = String(req.params.kind ?? '');
  if (!POLICY_KIND_NAMES.includes(kind))
    throw AdminErrors.ADMIN_NOT_FOUND({ detail: `no policy kind ${kind}` });
  return kind;
}

/** The `:name` of a route. */
export function nameOf(req: Request): string {
  return String(req.params.name ?? '');
}

/** A posted field's text. */
export function postedText(req: Request, field: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value.trim() : '';
}

/** The version a form was read at: a policy's `updatedAt` (a number). */
export function postedVersion(req: Request): number {
  const text = postedText(req, 'version');
  return /^\d+$/.test(text) ? Number(text) : -1;
}
