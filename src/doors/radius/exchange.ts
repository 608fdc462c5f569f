import { resultOfCode } from '../../attempts/results.js';
import type { AttemptRecorder } from '../../attempts/writer.js';
import type { ChallengeState, Challenges, OpenChallenge } from '../../engine/challenges.js';
import { MfaErrors } from '../../engine/errors.js';
import type { RememberedPasswords } from '../../engine/remembered-passwords.js';
import type { SecondFactor } from '../../engine/second-factor.js';
import type { VouchedFirstFactor } from '../../engine/vouched-first-factor.js';
import { PassgateError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type {
  AuthenticationPolicy,
  LoginContext,
} from '../../policy/authentication/authentication-policy.js';
import { parseAddress } from '../../policy/authentication/authentication-policy.js';
import type { Decision } from '../../policy/authentication/decision.js';
import type { CommitGroup } from '../../store/commit-group.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { Token } from '../../store/repositories/tokens.js';
import { normalizeUsername, type User } from '../../store/repositories/users.js';
import { WriteBatch } from '../../store/write-batch.js';
import type { TokenTypes } from '../../tokens/registry.js';
import type { Translations } from '../../web/i18n.js';
import type { RadiusClient } from './clients.js';
import type { ReplyAttribute, RequestAttributes } from './dictionary.js';
import { splitInlineCode } from './inline-code.js';
import { replyMessages } from './reply-message.js';
import { acceptAttributes, type RuleReplies } from './rule-replies.js';

/** What the door answers an Access-Request with; `result` names the outcome for logs and metrics. */
export interface RadiusAnswer {
  code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge';
  attributes: Array<ReplyAttribute | { name: string; value: Buffer }>;
  result: string;
}

/** The context a challenge carries from the first request to the follow-up with its State. */
type RadiusContext = LoginContext & { decision: Decision; userName: string };

/** What an exchange needs from the engine. */
export interface ExchangeDeps {
  /** The password check: the first factor behind a cache of good passwords per client. */
  firstFactor: Pick<RememberedPasswords, 'authenticate'>;
  /** The first factor of a second-factor-only client, which checked the password itself. */
  vouchedFirstFactor: VouchedFirstFactor;
  policy: AuthenticationPolicy;
  challenges: Challenges;
  secondFactor: SecondFactor;
  tokenTypes: TokenTypes;
  translations: Translations;
  /** Records the refusals the engine does not (no password, a stale State, no code, no factor). */
  audit: AuditRepository;
  /** Where the refusals of the door itself (no password, a stale State) go as sign-in attempts. */
  attempts: AttemptRecorder;
  /** Commits the requests' batches of writes of one turn together (see CommitGroup). */
  commits: CommitGroup;
  /** How long the client waits for the answer to a challenge (`mfa.challengeTtlSeconds`). */
  challengeSeconds: number;
  /** Checks the reply attributes a policy rule names against the dictionaries. */
  ruleReplies: RuleReplies;
  logger: Logger;
}

/** A challenge id as the engine makes them (what a State attribute must look like). */
const CHALLENGE_ID = /^[A-Za-z0-9_-]{24}$/;

/**
 * One Access-Request, as the engine sees a sign-in: the password (PAP) through the first factor
 * with its lockout shield, then the Authentication Policy (door `radius`, the client as the
 * application), then the second factor — a code typed after the password (inline clients) or an
 * Access-Challenge whose State names the engine's challenge in the store, so that any Passgate
 * process can take the answer.
 */
export class RadiusExchange {
  constructor(private readonly deps: ExchangeDeps) {}

  /** The answer to a request of a known client; undefined leaves it unanswered (the client fails over). */
  async answer(
    client: RadiusClient,
    attributes: RequestAttributes,
    source: string,
  ): Promise<RadiusAnswer | undefined> {
    const userName = single(attributes['User-Name']);
    const password = single(attributes['User-Password']);
    const language = this.language(client);
    const context = this.contextOf(client, attributes, source);
    const state = single(attributes.State);
    // A second-factor-only client's first request needs no User-Password (NPS may send MS-CHAP).
    const vouched = client.secondFactorOnly && !Buffer.isBuffer(state);
    if (typeof userName !== 'string' || (typeof password !== 'string' && !vouched)) {
      await this.refused(context, 'UNSUPPORTED_AUTHENTICATION', userName, undefined, true);
      return this.reject(language, 'radius:pap_only', 'unsupported');
    }
    // The request's audit events that need not be stored one by one (its successes) go in one
    // transaction, with those of the other requests of this turn, committed before it is
    // answered, whatever the answer.
    const batch = new WriteBatch();
    try {
      const answer = Buffer.isBuffer(state)
        ? await this.followUp(client, context, state, userName, password as string, batch)
        : await this.signIn(client, userName, vouched ? undefined : (password as string), context, batch);
      await batch.commit(this.deps.commits);
      return answer;
    } catch (error) {
      await batch.commit(this.deps.commits);
      if (!(error instanceof PassgateError) || error.status >= 500) throw error;
      return this.reject(language, `common:errors.${error.code}`, error.code.toLowerCase());
    }
  }

  /** A first request: `typed` is the password field, undefined for a second-factor-only client. */
  private async signIn(
    client: RadiusClient,
    userName: string,
    typed: string | undefined,
    context: LoginContext,
    batch: WriteBatch,
  ): Promise<RadiusAnswer> {
    const { firstFactor, vouchedFirstFactor, policy } = this.deps;
    const { password, code } =
      client.mode === 'inline' && typed !== undefined
        ? splitInlineCode(typed, client.separator)
        : { password: typed };
    const user =
      password === undefined
        ? await vouchedFirstFactor.accept(userName, context)
        : await firstFactor.authenticate(userName, password, client.name, context, batch);
    const language = this.language(client, user);
    // Inline, the code is checked against the tokens the policy looked at: read once for both.
    const tokens = client.mode === 'inline' ? await this.deps.challenges.tokensOf(user) : undefined;
    const decision = await policy.decide(user, context, tokens ? { tokens } : {});
    if (decision.action === 'deny') {
      await policy.denied(user, context, decision);
      return this.reject(language, `common:errors.${decision.message ?? 'ACCESS_DENIED'}`, 'denied');
    }
    if (decision.action === 'allow') {
      const refused = await this.unsendable(client, user, context, decision);
      if (refused) return refused;
      await policy.completed(user, context, decision, undefined, batch);
      return this.accept(client, user, decision);
    }
    const flow: RadiusContext = { ...context, decision, userName: normalizeUsername(userName) };
    if (tokens) return this.inline(client, user, flow, batch, tokens, code);
    try {
      const state = await this.deps.challenges.start({
        user,
        context: flow,
        ...(decision.methods ? { methods: decision.methods } : {}),
        overrides: decision.overrides,
        language,
      });
      return this.challenge(state, language);
    } catch (error) {
      if (error instanceof PassgateError) await this.refused(context, error.code, userName, user);
      throw error;
    }
  }

  /** Inline mode: the code came with the password; only codes the user can type qualify. */
  private async inline(
    client: RadiusClient,
    user: User,
    flow: RadiusContext,
    batch: WriteBatch,
    tokens: readonly Token[],
    code?: string,
  ): Promise<RadiusAnswer> {
    const language = this.language(client, user);
    if (!code)
      return this.reject(language, 'radius:inline_code_missing', 'code_missing', {
        separator: client.separator,
      });
    const { decision } = flow;
    const typedTypes = this.deps.tokenTypes
      .all()
      .filter((t) => !t.channel && (!decision.methods || decision.methods.includes(t.info.type)))
      .map((t) => t.info.type);
    const result = await this.deps.secondFactor.verify({
      user,
      response: code,
      context: flow,
      types: typedTypes,
      batch,
      tokens,
    });
    const refused = await this.unsendable(client, user, flow, decision);
    if (refused) return refused;
    await this.deps.policy.completed(
      user,
      flow,
      decision,
      { offered: typedTypes, method: result.method },
      batch,
    );
    return this.accept(client, user, decision);
  }

  /** The answer to an Access-Challenge: the code, with the State that names the challenge. */
  private async followUp(
    client: RadiusClient,
    context: LoginContext,
    state: Buffer,
    userName: string,
    code: string,
    batch: WriteBatch,
  ): Promise<RadiusAnswer> {
    let open: OpenChallenge;
    try {
      open = await this.openChallenge(client, state.toString('latin1'), userName);
    } catch (error) {
      if (MfaErrors.is(error, 'MFA_CHALLENGE_EXPIRED'))
        await this.refused(context, error.code, userName, undefined, true);
      throw error;
    }
    const flow = open.state.context as RadiusContext;
    const language = this.language(client, open.user);
    try {
      const result = await this.deps.challenges.verify(open, code, undefined, batch);
      const refused = await this.unsendable(client, result.user, flow, flow.decision);
      if (refused) return refused;
      await this.deps.policy.completed(
        result.user,
        flow,
        flow.decision,
        { offered: open.state.offers.map((o) => o.type), method: result.method },
        batch,
      );
      return this.accept(client, result.user, flow.decision);
    } catch (error) {
      // A mistyped code: asked again under the same State (the engine counts and locks).
      if (!MfaErrors.is(error, 'MFA_INVALID_CODE')) throw error;
      return this.challenge(open.state, language, 'radius:wrong_code');
    }
  }

  /** The open challenge a State names, if it was started by this client for this user. */
  private async openChallenge(client: RadiusClient, id: string, userName: string): Promise<OpenChallenge> {
    if (!CHALLENGE_ID.test(id))
      throw MfaErrors.MFA_CHALLENGE_EXPIRED({ detail: 'State is not a challenge id' });
    const open = await this.deps.challenges.open(id);
    const flow = open.state.context as RadiusContext;
    if (
      flow.door !== 'radius' ||
      flow.application !== client.name ||
      flow.userName !== normalizeUsername(userName)
    )
      throw MfaErrors.MFA_CHALLENGE_EXPIRED({ detail: `challenge ${id} belongs to another client or user` });
    return open;
  }

  /**
   * Records a refusal the engine has not recorded; `asAttempt` for the door's own refusals (no
   * password, a stale State), which are sign-in attempts no engine step saw.
   */
  private refused(
    context: LoginContext,
    reason: string,
    userName: unknown,
    user?: User,
    asAttempt = false,
  ): Promise<void> {
    if (asAttempt)
      this.deps.attempts.record({
        origin: {
          address: context.address,
          door: context.door,
          ...(context.application ? { application: context.application } : {}),
        },
        user: { name: typeof userName === 'string' ? normalizeUsername(userName) : '' },
        result: resultOfCode(reason),
        reason,
      });
    return this.deps.audit.record({
      type: 'login',
      outcome: 'failure',
      reason,
      username: typeof userName === 'string' ? normalizeUsername(userName) || null : null,
      userId: user?.id ?? null,
      address: context.address,
      details: { door: 'radius', application: context.application ?? null },
    });
  }

  private challenge(state: ChallengeState, language: string, before?: string): RadiusAnswer {
    const t = this.deps.translations.i18n.getFixedT(language);
    const typed = state.offers.find((o) => o.source !== 'sent');
    let prompt: string;
    if (state.sent) prompt = t('radius:prompt_sent', { destination: state.sent.destination });
    else if (typed) prompt = t(typed.source === 'list' ? 'radius:prompt_list' : 'radius:prompt_device');
    else
      throw MfaErrors.MFA_NO_CHANNEL({
        detail: `no passcode could be sent (${state.sendError ?? 'unknown'})`,
      });
    const failed = state.sendError && !state.sent ? `${t(`common:errors.${state.sendError}`)} ` : '';
    const text = `${before ? `${t(before)} ` : ''}${failed}${prompt}`;
    return {
      code: 'Access-Challenge',
      attributes: [
        ...replyMessages(text).map((value) => ({ name: 'Reply-Message', value })),
        { name: 'State', value: Buffer.from(state.id, 'latin1') },
        { name: 'Session-Timeout', value: this.deps.challengeSeconds },
      ],
      result: 'challenge',
    };
  }

  private accept(client: RadiusClient, user: User, decision: Decision): RadiusAnswer {
    const attributes = acceptAttributes({ client: client.replyAttributes, groups: user.groups, decision });
    return { code: 'Access-Accept', attributes, result: 'accept' };
  }

  /**
   * A reject when the rule that decided names reply attributes the dictionaries cannot code
   * (the door logged it at load): accepting without them could grant more than the rule meant.
   */
  private async unsendable(
    client: RadiusClient,
    user: User,
    context: LoginContext,
    decision: Decision,
  ): Promise<RadiusAnswer | undefined> {
    const attributes = decision.radius?.replyAttributes;
    const problem = attributes && this.deps.ruleReplies.problem(attributes);
    if (!problem) return undefined;
    this.deps.logger.error(
      { client: client.name, rule: decision.rule, problem },
      `Authentication Policy rule ${decision.rule}: ${problem}; the sign-in is rejected`,
    );
    await this.refused(context, 'RADIUS_RULE_REPLY_INVALID', user.username, user);
    return this.reject(this.language(client, user), 'common:errors.ACCESS_DENIED', 'rule_reply_invalid');
  }

  private reject(
    language: string,
    key: string,
    result: string,
    values: Record<string, string> = {},
  ): RadiusAnswer {
    const text = this.deps.translations.i18n.getFixedT(language)([key, 'common:errors.generic'], values);
    return {
      code: 'Access-Reject',
      attributes: replyMessages(text).map((value) => ({ name: 'Reply-Message', value })),
      result,
    };
  }

  /**
   * The sign-in's context: the client is the application; the Calling-Station-Id, when the
   * client sends one, is the user's address if it is an IP address (VPNs put the user's public
   * address there: network and country rules, learned trust and the per-address limit then see
   * the user, not the VPN), else the device (a MAC address or a phone number).
   */
  private contextOf(client: RadiusClient, attributes: RequestAttributes, source: string): LoginContext {
    const station = single(attributes['Calling-Station-Id']);
    const ip = typeof station === 'string' ? parseAddress(station.trim()) : null;
    return {
      address: ip ? ip.toString() : source,
      door: 'radius',
      application: client.name,
      applicationName: client.name,
      ...(typeof station === 'string' && station && !ip ? { device: station.slice(0, 64) } : {}),
    };
  }

  private language(client: RadiusClient, user?: User): string {
    const { languages, defaultLanguage } = this.deps.translations;
    const own = user?.attributes.preferredLanguage;
    const preferred = typeof own === 'string' ? own.slice(0, 2).toLowerCase() : undefined;
    if (preferred && languages.includes(preferred)) return preferred;
    return client.language && languages.includes(client.language) ? client.language : defaultLanguage;
  }
}

/** The first value of an attribute the `radius` package may give as an array. */
function single(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}
