import type { Request } from 'express';
import { countryName, isCountryCode } from '../../../geo/countries.js';
import { AUTHENTICATION_KIND } from '../../../policy/authentication/rule.js';
import {
  type CountryRuleProposal,
  dryRunCountryRule,
  proposedRule,
} from '../../../policy/authentication/what-if.js';
import { administratorPolicyStore } from '../../../policy/policy-store.js';
import { AdminErrors } from '../errors.js';
import type { AdminRoute, AdminSite } from '../page.js';
import { allows } from '../permissions.js';

/** The dry run replays the attempts of this many days before now. */
export const WHAT_IF_DAYS = 30;

const DAY = 86_400_000;

/** The proposal of a query or form (country, action, groups excepted, comma-separated); undefined when not valid. */
function readProposal(source: Record<string, unknown>): CountryRuleProposal | undefined {
  const value = (name: string) => (typeof source[name] === 'string' ? (source[name] as string).trim() : '');
  const country = value('country').toUpperCase();
  const action = value('action');
  if (!isCountryCode(country) || (action !== 'deny' && action !== 'mfa')) return undefined;
  const exceptGroups = [
    ...new Set(
      value('except')
        .slice(0, 1_000)
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean),
    ),
  ].slice(0, 20);
  return { country, action, exceptGroups };
}

/** Groups of the proposal no user belongs to (the policy store refuses a rule naming them). */
async function unknownGroups(site: AdminSite, proposal: CountryRuleProposal): Promise<string[]> {
  const known = await site.context.core.users.groupNames();
  return proposal.exceptGroups.filter((g) => !known.has(g.toLowerCase()));
}

/** The first free name `what-if-<action>-<country>[-n]` for the rule created from a proposal. */
async function ruleName(site: AdminSite, proposal: CountryRuleProposal): Promise<string> {
  const base = `what-if-${proposal.action}-${proposal.country.toLowerCase()}`;
  const taken = new Set((await site.context.core.policies.list(AUTHENTICATION_KIND)).map((p) => p.name));
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  return name;
}

const query = (proposal: CountryRuleProposal, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    country: proposal.country,
    action: proposal.action,
    except: proposal.exceptGroups.join(', '),
    ...extra,
  });

/**
 * The "what if" of a country's drill-down: `GET <path>/what-if` replays the country's last
 * {@link WHAT_IF_DAYS} days of attempts with a proposed rule (deny or require MFA from there,
 * except some groups) through the policy simulator and shows what it would have changed; a
 * POST creates that rule, disabled, for review on the policies page (`policies.write`), audited.
 */
export function whatIfRoutes(path: string): AdminRoute[] {
  const page = `${path}/what-if`;
  return [
    {
      method: 'get',
      path: page,
      permission: 'monitoring.read',
      async handle({ req, admin, site, render }) {
        const proposal = readProposal(req.query as Record<string, unknown>);
        if (!proposal) throw AdminErrors.ADMIN_BAD_INPUT({ detail: 'what-if proposal' });
        const now = site.context.clock();
        const unknown = await unknownGroups(site, proposal);
        const { core } = site.context;
        const result =
          unknown.length > 0
            ? undefined
            : await dryRunCountryRule(
                site.context.policySimulator(),
                await core.policies.list(AUTHENTICATION_KIND),
                proposal,
                await core.repositories.attemptStatistics.replayed({
                  from: now - WHAT_IF_DAYS * DAY,
                  to: now + 1,
                  country: proposal.country,
                }),
              );
        await render('monitoring-what-if', {
          proposal,
          name: countryName(proposal.country) ?? proposal.country,
          days: WHAT_IF_DAYS,
          unknown,
          result,
          rule: JSON.stringify(proposedRule(proposal, false), null, 2),
          created: typeof req.query.created === 'string' ? req.query.created.slice(0, 64) : '',
          canCreate: allows(admin.role, 'policies.write') && unknown.length === 0,
          back: `${path}?${new URLSearchParams({ country: proposal.country })}#drill-down`,
          action: page,
        });
      },
    },
    {
      method: 'post',
      path: page,
      permission: 'policies.write',
      async handle({ req, res, admin, site }) {
        const proposal = readProposal((req as Request).body as Record<string, unknown>);
        if (!proposal) throw AdminErrors.ADMIN_BAD_INPUT({ detail: 'what-if proposal' });
        if ((await unknownGroups(site, proposal)).length > 0)
          throw AdminErrors.ADMIN_BAD_INPUT({ detail: 'what-if proposal: unknown group' });
        const { core } = site.context;
        const store = administratorPolicyStore(core);
        const name = await ruleName(site, proposal);
        const document = proposedRule(proposal, false);
        await store.put(AUTHENTICATION_KIND, name, document, null); // created, never overwriting one of the same name
        await site.auditChange(
          admin,
          'admin.policy.create',
          null,
          { kind: AUTHENTICATION_KIND, name, document, from: 'monitoring what-if' },
          req.ip,
        );
        res.redirect(303, `${page}?${query(proposal, { created: name })}`);
      },
    },
  ];
}
