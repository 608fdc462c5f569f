import type { z } from 'zod';
import type { PoliciesRepository, StoredPolicy } from '../store/repositories/policies.js';
import { checkRule } from './authentication/check.js';
import { AUTHENTICATION_KIND, type AuthenticationRule } from './authentication/rule.js';
import { PolicyErrors } from './errors.js';
import { POLICY_KIND_NAMES, POLICY_KINDS } from './kinds.js';

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
    const schema = schemaOf(this.kinds, kind);
    if (!/^[\w.-]{1,64}$/.test(name)) {
      throw PolicyErrors.POLICY_INVALID({
        detail: `${kind} ${name}: a name is 1 to 64 letters, digits, dots, dashes or underscores`,
      });
    }
    const result = schema.safeParse(document);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const where = [kind, name, ...issue.path.map(String)].join('.');
      throw PolicyErrors.POLICY_INVALID({
        detail: `${where}: ${issue.message.replace(/^Invalid input: /, '')}`,
      });
    }
    return result.data;
  }

  async put(kind: string, name: string, document: unknown): Promise<void> {
    const validated = this.validate(kind, name, document);
    await this.checkAgainstStore(normalizeKind(kind), name, validated);
    await this.repository.put(normalizeKind(kind), name, validated);
  }

  /** Raises POLICY_INVALID for what only the store can tell: unknown groups, missing policies. */
  private async checkAgainstStore(kind: string, name: string, document: unknown, pending?: PolicySet) {
    if (kind !== AUTHENTICATION_KIND) return;
    const problems = await checkRule(document as AuthenticationRule, {
      ...(this.groupNames ? { groups: this.groupNames } : {}),
      policyExists: async (other, policy) =>
        pending?.[other]?.[policy] !== undefined ||
        (pending?.[other] === undefined && (await this.repository.get(other, policy)) !== undefined),
    });
    if (problems.length > 0) {
      throw PolicyErrors.POLICY_INVALID({ detail: problems.map((p) => `${kind}.${name}.${p}`).join('; ') });
    }
  }

  /** Policies of a kind, documents with defaults applied. */
  async list(kind: string): Promise<StoredPolicy[]> {
    schemaOf(this.kinds, kind);
    return this.repository.list(normalizeKind(kind));
  }

  async get(kind: string, name: string): Promise<StoredPolicy> {
    const found = await this.repository.get(normalizeKind(kind), name);
    if (!found) throw PolicyErrors.POLICY_NOT_FOUND({ detail: `no ${kind} policy "${name}"` });
    return found;
  }

  async remove(kind: string, name: string): Promise<void> {
    if (!(await this.repository.remove(normalizeKind(kind), name))) {
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
