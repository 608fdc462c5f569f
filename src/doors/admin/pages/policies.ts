import { AUTHENTICATION_KIND } from '../../../policy/authentication/rule.js';
import { PolicyErrors } from '../../../policy/errors.js';
import { POLICY_KIND_NAMES } from '../../../policy/kinds.js';
import type { PolicyStore } from '../../../policy/policy-store.js';
import type { AdminPage, AdminRequest, AdminRoute } from '../page.js';
import { allows } from '../permissions.js';
import {
  kindOf,
  nameOf,
  ORDERED_KINDS,
  POLICIES_PATH,
  policyStoreOf,
  postedText,
  postedVersion,
} from '../policy-form/policy-kind.js';
import { readSimulationForm, SIMULATED_DOORS, simulate } from '../policy-form/simulation.js';
import { policySummary, ruleSummary } from '../policy-form/summary.js';
import { policyFormRoutes } from './policy-forms.js';

/** What a change on the page reports after its redirect (`?done=...&name=...`). */
const DONE = ['saved', 'removed', 'moved', 'enabled', 'disabled'] as const;

/** The page: the rules in order, the other kinds' policies, the simulator, and a message. */
async function showPolicies(
  { req, admin, site, render }: AdminRequest,
  problem?: { key: string; status: number },
): Promise<void> {
  const store = policyStoreOf(site);
  const rules = (await store.list(AUTHENTICATION_KIND)).map((rule, index) => ({
    name: rule.name,
    position: index + 1,
    enabled: (rule.document as { enabled?: boolean }).enabled !== false,
    description: (rule.document as { description?: string }).description ?? '',
    ...ruleSummary(rule.document),
    version: rule.updatedAt,
  }));
  const kinds = await Promise.all(
    POLICY_KIND_NAMES.filter((kind) => kind !== AUTHENTICATION_KIND).map(async (kind) => ({
      kind,
      ordered: ORDERED_KINDS.includes(kind),
      policies: (await store.list(kind)).map((policy) => ({
        name: policy.name,
        summary: policySummary(policy.document),
        version: policy.updatedAt,
      })),
    })),
  );
  const versions = Object.fromEntries(
    await Promise.all(POLICY_KIND_NAMES.map(async (kind) => [kind, await store.version(kind)] as const)),
  );
  const query = req.query as Record<string, unknown>;
  const done = DONE.find((d) => d === query.done);
  const form = readSimulationForm(query);
  const answer = form ? await simulate(site.context.policySimulator(), form) : undefined;
  await render(
    'policies',
    {
      rules,
      kinds,
      versions,
      canWrite: allows(admin.role, 'policies.write'),
      notice: done ? { key: `admin:policies.done.${done}`, name: String(query.name ?? '') } : undefined,
      problem: problem?.key,
      simulator: {
        form: form ?? { user: '', ip: '', app: '', door: 'oidc', at: '', device: '', acr: '', stepUp: false },
        doors: SIMULATED_DOORS,
        answer,
        json: answer && 'simulation' in answer ? JSON.stringify(answer.simulation, null, 2) : undefined,
      },
    },
    problem?.status ?? 200,
  );
}

/**
 * A change from the list (remove, move, enable): done, recorded and redirected back; one
 * read with an old version of the list is refused with the page's message, and writes nothing.
 */
async function change(request: AdminRequest, run: (store: PolicyStore) => Promise<string>): Promise<void> {
  const { req, res, site } = request;
  try {
    const done = await run(policyStoreOf(site));
    res.redirect(303, `${POLICIES_PATH}?done=${done}&name=${encodeURIComponent(nameOf(req))}`);
  } catch (error) {
    if (PolicyErrors.is(error, 'POLICY_STALE'))
      return showPolicies(request, { key: 'admin:policies.stale', status: 409 });
    if (PolicyErrors.is(error, 'POLICY_NOT_FOUND'))
      return showPolicies(request, { key: 'admin:policies.notFound', status: 404 });
    if (PolicyErrors.is(error, 'POLICY_INVALID'))
      return showPolicies(request, { key: 'admin:policies.invalid', status: 400 });
    throw error;
  }
}

const listRoutes: AdminRoute[] = [
  {
    method: 'get',
    path: POLICIES_PATH,
    permission: 'policies.read',
    handle: (request) => showPolicies(request),
  },
  {
    method: 'post',
    path: `${POLICIES_PATH}/:kind/:name/remove`,
    permission: 'policies.write',
    handle: (request) =>
      change(request, async (store) => {
        const { req, admin, site } = request;
        const [kind, name] = [kindOf(req), nameOf(req)];
        const before = await store.get(kind, name);
        await store.remove(kind, name, postedVersion(req));
        await site.auditChange(
          admin,
          'admin.policy.remove',
          { kind, name, policy: before.document },
          null,
          req.ip,
        );
        return 'removed';
      }),
  },
  {
    method: 'post',
    path: `${POLICIES_PATH}/:kind/:name/move`,
    permission: 'policies.write',
    handle: (request) =>
      change(request, async (store) => {
        const { req, admin, site } = request;
        const [kind, name] = [kindOf(req), nameOf(req)];
        const order = async () => (await store.list(kind)).map((p) => p.name);
        const before = await order();
        await store.move(
          kind,
          name,
          postedText(req, 'direction') === 'up' ? -1 : 1,
          postedText(req, 'version'),
        );
        await site.auditChange(
          admin,
          'admin.policy.move',
          { kind, name, order: before },
          { kind, name, order: await order() },
          req.ip,
        );
        return 'moved';
      }),
  },
  {
    method: 'post',
    path: `${POLICIES_PATH}/:kind/:name/enabled`,
    permission: 'policies.write',
    handle: (request) =>
      change(request, async (store) => {
        const { req, admin, site } = request;
        const [kind, name] = [kindOf(req), nameOf(req)];
        const before = await store.get(kind, name);
        const enabled = postedText(req, 'enabled') === 'true';
        const document = { ...(before.document as object), enabled };
        const after = await store.put(kind, name, document, postedVersion(req));
        await site.auditChange(
          admin,
          enabled ? 'admin.policy.enable' : 'admin.policy.disable',
          { kind, name, policy: before.document },
          { kind, name, policy: after },
          req.ip,
        );
        return enabled ? 'enabled' : 'disabled';
      }),
  },
];

/**
 * Policies (administrators change them, auditors read them): the Authentication Policy's rules
 * in order (move, enable or disable, remove), the Token, Passcode and Load Balancing Policies,
 * forms built from each kind's schema, and the policy simulator of `passgate policy test`.
 */
export const policiesPage: AdminPage = {
  nav: {
    id: 'policies',
    label: 'admin:nav.policies',
    path: POLICIES_PATH,
    permission: 'policies.read',
    order: 60,
  },
  routes: [...listRoutes, ...policyFormRoutes],
};
