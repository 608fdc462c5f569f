import type { z } from 'zod';
import type { PoliciesRepository, StoredPolicy } from '../store/repositories/policies.js';
import type { TokenTypeSpec } from '../tokens/token-type.js';
import { checkRule, type PolicyProblem } from './authentication/check.js';
import { AUTHENTICATION_KIND, type AuthenticationRule } from './authentication/rule.js';
import { PolicyErrors } from './errors.js';
import { POLICY_KIND_NAMES, POLICY_KINDS, policyKindsFor } from './kinds.js';

/** A set of policies by kind, as written in YAML (configuration seeds, exports, imports). */
export type PolicySet = Record<string, Record<string, unknown>>;

/**
 * Validated access to administrator policies: every document is checked against its kind's
 * schema before it is stored, and comes back with its defaults applied.
 */
export class PolicyStore {
  /**
   * @param groupNames the directory's group names, lower-cased, to refuse rules naming unknown
   *   groups; without it group names are not checked (tests of other kinds).
   * @param kinds the kinds and their schemas: the registry's token types by default
   *   (`policyKindsFor` over another list).
   */
  constructor(
    private readonly repository: PoliciesRepository,
    private readonly groupNames?: () => Promise<ReadonlySet<string>>,
    private readonly kinds: Readonly<Record<string, z.ZodType>> = POLICY_KINDS,
  ) {}

  /** Validates a document; raises POLICY_INVALID naming the field and the problem. */
  validate(kindName: string, name: string, document: unknown): unknown {
    const kind = normalizeKind(kindName);
    const checked = this.check(kind, name, document);
    if ('problems' in checked) throw invalid(kind, name, checked.problems.slice(0, 1));
    return checked.document;
  }

  /**
   * Every problem of a document against its kind's schema (the name's under path `name`), or the
   * document with its defaults applied: what {@link validate} and the administration site's
   * forms both use, so that the two never disagree.
   */
  check(kindName: string, name: string, document: unknown): PolicyCheck {
    const schema = schemaOf(this.kinds, kindName);
    if (!/^[\w.-]{1,64}$/.test(name)) {
      return {
        problems: [
          { path: 'name', message: 'a name is 1 to 64 letters, digits, dots, dashes or underscores' },
        ],
      };
    }
    const result = schema.safeParse(document);
    if (result.success) return { document: result.data };
    return {
      problems: result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message.replace(/^Invalid input: /, ''),
      })),
    };
  }

  /** {@link check}, then what only the store can tell (unknown groups, missing policies). */
  async inspect(kindName: string, name: string, document: unknown): Promise<PolicyCheck> {
    const kind = normalizeKind(kindName);
    const checked = this.check(kind, name, document);
    if ('problems' in checked) return checked;
    const problems = await this.problemsInStore(kind, checked.document);
    return problems.length > 0 ? { problems } : checked;
  }

  /**
   * Validates and stores a policy. With `expected` (see PoliciesRepository.put) the write happens
   * only if the stored policy is still the one read (its `updatedAt`), or, with `null`, if there is
   * none yet: POLICY_STALE or POLICY_EXISTS otherwise, and nothing is written.
   */
  async put(kindName: string, name: string, document: unknown, expected?: number | null): Promise<unknown> {
    const kind = normalizeKind(kindName);
    const validated = this.validate(kind, name, document);
    const problems = await this.problemsInStore(kind, validated);
    if (problems.length > 0) throw invalid(kind, name, problems);
    if (!(await this.repository.put(kind, name, validated, expected))) {
      throw expected === null
        ? PolicyErrors.POLICY_EXISTS({ detail: `${kind} policy "${name}" exists already` })
        : stale(kind, name);
    }
    return validated;
  }

  private async problemsInStore(kind: string, document: unknown, pending?: PolicySet) {
    if (kind !== AUTHENTICATION_KIND) return [];
    return checkRule(document as AuthenticationRule, {
      ...(this.groupNames ? { groups: this.groupNames } : {}),
      policyExists: async (other, policy) =>
        pending?.[other]?.[policy] !== undefined ||
        (pending?.[other] === undefined && (await this.repository.get(other, policy)) !== undefined),
    });
  }

  /** Raises POLICY_INVALID for what only the store can tell: unknown groups, missing policies. */
  private async checkAgainstStore(kind: string, name: string, document: unknown, pending?: PolicySet) {
    const problems = await this.problemsInStore(kind, document, pending);
    if (problems.length > 0) throw invalid(kind, name, problems);
  }

  /**
   * Moves a policy one place up (`-1`) or down (`+1`) in its kind's order (the rules' evaluation
   * order), if nothing of the kind changed since `expectedVersion` was read ({@link version}):
   * POLICY_STALE otherwise. False when it is already first (last).
   */
  async move(kindName: string, name: string, direction: -1 | 1, expectedVersion: string): Promise<boolean> {
    const kind = normalizeKind(kindName);
    const result = await this.repository.move(kind, name, direction, expectedVersion);
    if (result === 'stale') throw stale(kind, name);
    if (result === 'missing') throw PolicyErrors.POLICY_NOT_FOUND({ detail: `no ${kind} policy "${name}"` });
    return result === 'moved';
  }

  /** The schema of a kind's documents (what forms are built from); POLICY_UNKNOWN_KIND for another. */
  schema(kind: string): z.ZodType {
    return schemaOf(this.kinds, kind);
  }

  /** A value that changes with every change of a kind's policies (for a form's concurrent-edit guard). */
  version(kindName: string): Promise<string> {
    return this.repository.version(normalizeKind(kindName));
  }

  /** Policies of a kind, documents with defaults applied. */
  async list(kind: string): Promise<StoredPolicy[]> {
    schemaOf(this.kinds, kind);
    return this.repository.list(normalizeKind(kind));
  }

  /** One stored policy; POLICY_NOT_FOUND when there is none. */
  async get(kind: string, name: string): Promise<StoredPolicy> {
    const found = await this.repository.get(normalizeKind(kind), name);
    if (!found) throw PolicyErrors.POLICY_NOT_FOUND({ detail: `no ${kind} policy "${name}"` });
    return found;
  }

  /** Deletes a policy; with `expected`, only if it is still the one read (POLICY_STALE otherwise). */
  async remove(kind: string, name: string, expected?: number): Promise<void> {
    if (!(await this.repository.remove(normalizeKind(kind), name, expected))) {
      const exists = expected !== undefined && (await this.repository.get(normalizeKind(kind), name));
      if (exists) throw stale(normalizeKind(kind), name);
      throw PolicyErrors.POLICY_NOT_FOUND({ detail: `no ${kind} policy "${name}"` });
    }
  }

  /** Replaces every policy of the kinds present in `set`, after validating all of them; all or nothing. */
  async importSet(set: PolicySet): Promise<number> {
    const validated = Object.fromEntries(
      Object.entries(set).map(([kind, policies]) => [
        normalizeKind(kind),
        Object.entries(policies ?? {}).map(([name, document]) => ({
          name,
          document: this.validate(kind, name, document),
        })),
      ]),
    );
    const pending = Object.fromEntries(
      Object.entries(validated).map(([kind, policies]) => [
        kind,
        Object.fromEntries(policies.map((p) => [p.name, p.document])),
      ]),
    );
    for (const [kind, policies] of Object.entries(validated)) {
      for (const policy of policies)
        await this.checkAgainstStore(kind, policy.name, policy.document, pending);
    }
    await this.repository.replaceKinds(validated);
    return Object.values(validated).reduce((n, policies) => n + policies.length, 0);
  }

  /** Stores the seeds of the kinds that have no policy yet (first start); returns the kinds seeded. */
  async seed(set: PolicySet): Promise<string[]> {
    const seeded: string[] = [];
    for (const [kind, policies] of Object.entries(set)) {
      if ((await this.repository.list(normalizeKind(kind))).length > 0) continue;
      await this.importSet({ [kind]: policies });
      seeded.push(kind);
    }
    return seeded;
  }

  /** Every policy of the given kinds (all kinds by default) as a set, for export. */
  async exportSet(kinds: readonly string[] = POLICY_KIND_NAMES): Promise<PolicySet> {
    const set: PolicySet = {};
    for (const kind of kinds) {
      const policies = await this.list(kind);
      if (policies.length > 0) set[kind] = Object.fromEntries(policies.map((p) => [p.name, p.document]));
    }
    return set;
  }
}

/** What {@link administratorPolicyStore} is built over (the core's parts). */
export interface AdministratorPolicyParts {
  policies: PoliciesRepository;
  users: { groupNames(): Promise<ReadonlySet<string>> };
  tokenTypes: { all(): readonly TokenTypeSpec[] };
}

/**
 * The store as administrators change it (`passgate policy`, the administration site): rules'
 * groups checked against the directory, Token Policies against the running token types.
 */
export function administratorPolicyStore(core: AdministratorPolicyParts): PolicyStore {
  return new PolicyStore(core.policies, () => core.users.groupNames(), policyKindsFor(core.tokenTypes.all()));
}

/** A document's problems, each with its field, or the document with its defaults applied. */
export type PolicyCheck = { document: unknown } | { problems: PolicyProblem[] };

/** POLICY_INVALID naming each problem's field under `kind.name`. */
function invalid(kind: string, name: string, problems: readonly PolicyProblem[]) {
  const where = (path: string) =>
    path === 'name' ? `${kind} ${name}` : [kind, name, path].filter(Boolean).join('.');
  return PolicyErrors.POLICY_INVALID({
    detail: problems.map((p) => `${where(p.path)}: ${p.message}`).join('; '),
  });
}

function stale(kind: string, name: string) {
  return PolicyErrors.POLICY_STALE({
    detail: `${kind} policy "${name}" was changed by someone else since it was read; nothing was written`,
  });
}

/** `loadBalancing` (the YAML key) and `load-balancing` (the stored kind) name the same kind. */
export function normalizeKind(kind: string): string {
  return kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function schemaOf(kinds: Readonly<Record<string, z.ZodType>>, kind: string) {
  const schema = kinds[normalizeKind(kind)];
  if (!schema) {
    throw PolicyErrors.POLICY_UNKNOWN_KIND({
      detail: `unknown policy kind "${kind}" (known: ${POLICY_KIND_NAMES.join(', ')})`,
    });
  }
  return schema;
}
