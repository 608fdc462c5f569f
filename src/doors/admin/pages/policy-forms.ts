import type { PolicyProblem } from '../../../policy/authentication/check.js';
import { PolicyErrors } from '../../../policy/errors.js';
import type { PolicyStore } from '../../../policy/policy-store.js';
import type { AdminRequest, AdminRoute } from '../page.js';
import { allows } from '../permissions.js';
import { documentFields } from '../policy-form/fields.js';
import {
  kindOf,
  nameOf,
  POLICIES_PATH,
  policyStoreOf,
  postedText,
  postedVersion,
} from '../policy-form/policy-kind.js';
import {
  type FormBody,
  inputValues,
  placeProblems,
  postedValues,
  readDocument,
} from '../policy-form/values.js';

/** The input of a new policy's name (its problems are the store's `name` path). */
const NAME_FIELD = 'policy-name';

/** What the form page shows besides the fields: its values and problems, and why it came back. */
interface FormState {
  name: string;
  isNew: boolean;
  version: number | null;
  values: Record<string, string>;
  problems: readonly PolicyProblem[];
  /** A key of `admin:policies` for a message above the form (a stale version ...). */
  message?: string;
  status?: number;
}

/** Renders a kind's form (views/admin/policy-form.ejs), its fields generated from the kind's schema. */
async function showForm({ req, render, site, admin }: AdminRequest, store: PolicyStore, state: FormState) {
  const kind = kindOf(req);
  const fields = documentFields(store.schema(kind));
  const named = state.problems.filter((p) => p.path === 'name');
  const placed = placeProblems(
    fields,
    state.values,
    state.problems.filter((p) => p.path !== 'name'),
  );
  const base = `${POLICIES_PATH}/${encodeURIComponent(kind)}`;
  await render(
    'policy-form',
    {
      kind,
      name: state.name,
      isNew: state.isNew,
      version: state.version,
      fields,
      values: state.values,
      errors: {
        ...placed.byField,
        ...(named.length > 0 ? { [NAME_FIELD]: named.map((p) => p.message) } : {}),
      },
      general: placed.general,
      nameField: NAME_FIELD,
      message: state.message,
      action: state.isNew ? `${base}/new` : `${base}/${encodeURIComponent(state.name)}/edit`,
      language: site.language(req),
      canWrite: allows(admin.role, 'policies.write'),
    },
    state.status ?? (state.problems.length > 0 ? 400 : 200),
  );
}

/**
 * Saves a form: the document read from the fields, checked by the kind's schema and the store
 * (the CLI's one validation), written only if the policy is still the one the form was read
 * from, recorded with before and after; otherwise the form again, each problem at its field.
 */
async function save(request: AdminRequest, isNew: boolean): Promise<void> {
  const { req, res, admin, site } = request;
  const store = policyStoreOf(site);
  const kind = kindOf(req);
  const body = (req.body ?? {}) as FormBody;
  const name = isNew ? postedText(req, NAME_FIELD) : nameOf(req);
  const expected = isNew ? null : postedVersion(req);
  // Only a missing policy is "not found": a store that is away is its own error (503), not a 404.
  const before = isNew
    ? undefined
    : await store.get(kind, name).catch((error: unknown) => {
        if (PolicyErrors.is(error, 'POLICY_NOT_FOUND')) return undefined;
        throw error;
      });
  if (!isNew && !before) {
    const message = 'notFound';
    return showForm(request, store, {
      name,
      isNew,
      version: expected,
      values: postedValues(body),
      problems: [],
      message,
      status: 404,
    });
  }
  const form = (problems: readonly PolicyProblem[], message?: string, status?: number) =>
    showForm(request, store, {
      name,
      isNew,
      version: expected,
      values: postedValues(body),
      problems,
      ...(message ? { message } : {}),
      ...(status ? { status } : {}),
    });
  const { document, problems } = readDocument(documentFields(store.schema(kind)), body);
  const checked = await store.inspect(kind, name, document);
  const all = [...problems, ...('problems' in checked ? checked.problems : [])];
  if (all.length > 0) return form(all);
  let after: unknown;
  try {
    after = await store.put(kind, name, document, expected);
  } catch (error) {
    if (PolicyErrors.is(error, 'POLICY_EXISTS'))
      return form(
        [{ path: 'name', message: `a ${kind} policy named "${name}" exists already` }],
        undefined,
        409,
      );
    if (PolicyErrors.is(error, 'POLICY_STALE')) return form([], 'stale', 409);
    if (PolicyErrors.is(error, 'POLICY_INVALID')) return form([{ path: '', message: error.message }]);
    throw error;
  }
  await site.auditChange(
    admin,
    'admin.policy.set',
    before ? { kind, name, policy: before.document } : null,
    { kind, name, policy: after },
    req.ip,
  );
  res.redirect(303, `${POLICIES_PATH}?done=saved&name=${encodeURIComponent(name)}#${kind}`);
}

/** The forms of every kind: a new policy, and editing one (read at its version). */
export const policyFormRoutes: AdminRoute[] = [
  {
    method: 'get',
    path: `${POLICIES_PATH}/:kind/new`,
    permission: 'policies.write',
    async handle(request) {
      const store = policyStoreOf(request.site);
      kindOf(request.req);
      await showForm(request, store, { name: '', isNew: true, version: null, values: {}, problems: [] });
    },
  },
  {
    method: 'post',
    path: `${POLICIES_PATH}/:kind/new`,
    permission: 'policies.write',
    handle: (request) => save(request, true),
  },
  {
    method: 'get',
    path: `${POLICIES_PATH}/:kind/:name/edit`,
    permission: 'policies.read',
    async handle(request) {
      const store = policyStoreOf(request.site);
      const kind = kindOf(request.req);
      const stored = await store.get(kind, nameOf(request.req)).catch((error: unknown) => {
        if (PolicyErrors.is(error, 'POLICY_NOT_FOUND')) return undefined;
        throw error;
      });
      if (!stored) {
        const values = {};
        return showForm(request, store, {
          name: nameOf(request.req),
          isNew: false,
          version: null,
          values,
          problems: [],
          message: 'notFound',
          status: 404,
        });
      }
      const fields = documentFields(store.schema(kind));
      await showForm(request, store, {
        name: stored.name,
        isNew: false,
        version: stored.updatedAt,
        values: inputValues(fields, stored.document),
        problems: [],
      });
    },
  },
  {
    method: 'post',
    path: `${POLICIES_PATH}/:kind/:name/edit`,
    permission: 'policies.write',
    handle: (request) => save(request, false),
  },
];
