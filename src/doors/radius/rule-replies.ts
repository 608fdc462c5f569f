import { describeError } from '../../errors.js';
import type { Decision } from '../../policy/authentication/decision.js';
import type { Dictionary, ReplyAttribute } from './dictionary.js';

/** Distinct attribute lists remembered; rules are few, so this is only a bound against misuse. */
const MAX_REMEMBERED = 1000;

/**
 * Whether the dictionaries can code the reply attributes an Authentication Policy rule names
 * (`radius.replyAttributes`): the policy stores them as plain data and knows no RADIUS coding,
 * so the door checks them, when it loads and before it sends them, once per distinct list.
 */
export class RuleReplies {
  private readonly checked = new Map<string, string | null>();

  constructor(private readonly dictionary: Pick<Dictionary, 'check'>) {}

  /** The first attribute the dictionaries cannot code, with the reason; undefined when all can. */
  problem(attributes: readonly ReplyAttribute[]): string | undefined {
    const key = JSON.stringify(attributes);
    let found = this.checked.get(key);
    if (found === undefined) {
      found = null;
      for (const [index, attribute] of attributes.entries()) {
        try {
          this.dictionary.check(attribute);
        } catch (error) {
          found = `radius.replyAttributes.${index}: ${describeError(error)}`;
          break;
        }
      }
      if (this.checked.size >= MAX_REMEMBERED) this.checked.clear();
      this.checked.set(key, found);
    }
    return found ?? undefined;
  }
}

/** What decides an Access-Accept's attributes: the client's, by group, and the matching rule's. */
export interface AcceptReply {
  client: ReadonlyArray<ReplyAttribute & { groups?: string[] | undefined }>;
  groups: readonly string[];
  decision: Pick<Decision, 'radius'>;
}

/**
 * The attributes of an Access-Accept: the client's (those with `groups` only for members),
 * then the matching rule's, which replace a client attribute of the same vendor and name.
 */
export function acceptAttributes({ client, groups, decision }: AcceptReply): ReplyAttribute[] {
  const member = new Set(groups.map((g) => g.toLowerCase()));
  const fromRule = decision.radius?.replyAttributes ?? [];
  const same = (a: ReplyAttribute, b: ReplyAttribute) =>
    a.name.toLowerCase() === b.name.toLowerCase() &&
    (a.vendor ?? '').toLowerCase() === (b.vendor ?? '').toLowerCase();
  const fromClient = client
    .filter((a) => !a.groups || a.groups.some((g) => member.has(g.toLowerCase())))
    .filter((a) => !fromRule.some((r) => same(a, r)))
    .map(({ groups: _groups, ...attribute }) => attribute);
  return [...fromClient, ...fromRule];
}
