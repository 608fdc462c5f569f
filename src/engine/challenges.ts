import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { type Channel, directoryAddress } from '../config/channels.js';
import type { Config } from '../config/load.js';
import { maskDestination } from '../dispatch/mask.js';
import type { PassgateError } from '../errors.js';
import type { AttemptContext, ChallengeOverrides, MethodOffer } from '../policy/authentication/attempt.js';
import type { ChallengesRepository, StoredChallenge } from '../store/repositories/challenges.js';
import type { PasscodesRepository } from '../store/repositories/passcodes.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import type { User, UsersRepository } from '../store/repositories/users.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { WriteBatch } from '../store/write-batch.js';
import type { TokenTypes } from '../tokens/registry.js';
import { MfaErrors } from './errors.js';
import { isSendRefusal, type PasscodeSender, type SentPasscode } from './passcode-sender.js';
import { activeFactors, type SecondFactor, type SecondFactorResult } from './second-factor.js';

/** Re-exported for the doors: these are defined beside the Authentication Policy that decides them. */
export type { ChallengeOverrides, MethodOffer };

/** A second-factor step as the doors see it. */
export interface ChallengeState {
  id: string;
  offers: MethodOffer[];
  /** The context the challenge was started in (the door checks it belongs to its own flow). */
  context: AttemptContext;
  expiresAt: number;
  /** The passcode sent for this step, if one was. */
  sent?: SentPasscode;
  /** Error code of the last passcode that could not be sent (the user can pick another method). */
  sendError?: string;
}

/** A challenge opened for a request: its state and the user it belongs to. */
export interface OpenChallenge {
  state: ChallengeState;
  user: User;
}

/** What starts a challenge. */
export interface StartRequest {
  user: User;
  context: AttemptContext;
  /** Allowed method types in order of preference (from the policy); every method the user has when omitted. */
  methods?: readonly string[];
  overrides?: ChallengeOverrides;
  language: string;
  /** The user's tokens as {@link Challenges.tokensOf} returned them for this sign-in (its policy decision): not read again. */
  tokens?: readonly Token[];
}

/**
 * The engine API the doors use for the second factor: start a challenge for a user in a context
 * (it decides the methods and sends the passcode when one is preferred), send or resend a
 * passcode on another channel, and verify a response. State lives in the store, so any server
 * process can continue a challenge another one started.
 */
export class Challenges {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokensRepository,
    private readonly types: TokenTypes,
    private readonly secondFactor: SecondFactor,
    private readonly sender: PasscodeSender,
    private readonly challenges: ChallengesRepository,
    private readonly passcodes: PasscodesRepository,
    private readonly settings: Config['mfa'],
    private readonly clock: Clock,
  ) {}

  /**
   * The methods a user can answer with now, in order of preference. `tokens`, when given, are the
   * user's tokens as {@link tokensOf} returned them (complete: not read or created again). With
   * `preview` it writes nothing (the policy simulator): the directory's channels the user has no
   * token for yet are offered as the tokens that a real sign-in would create for them.
   */
  async offersFor(
    user: User,
    methods?: readonly string[],
    options: { preview?: boolean; passcodePolicy?: string; tokens?: readonly Token[] } = {},
  ): Promise<MethodOffer[]> {
    const stored =
      options.tokens ?? (options.preview ? await this.tokens.listByUser(user.id) : await this.tokensOf(user));
    const pending = options.preview ? this.missingDirectoryChannels(user, stored) : [];
    // The Passcode Policy orders (and limits) the sent passcodes only: read for users who have some.
    const sends = pending.length > 0 || stored.some((token) => this.types.get(token.type)?.channel);
    const order = methods ?? (sends ? await this.defaultOrder(options.passcodePolicy) : this.deviceOrder());
    const offers: MethodOffer[] = [];
    const candidates: OfferCandidate[] = [
      ...activeFactors(stored, order),
      ...pending
        .filter(({ type }) => order.includes(type))
        .map(({ channel, type }) => ({
          id: directoryTokenId(channel, user),
          type,
          destination: null,
          description: null,
          serial: null,
        })),
    ];
    for (const token of candidates) {
      const type = this.types.get(token.type);
      if (!type) continue;
      if (type.channel) {
        const to = destinationOf(token, type.channel, user);
        if (!to || !this.sender.canSend(type.channel)) continue;
        offers.push({ tokenId: token.id, type: token.type, source: 'sent', label: maskDestination(to) });
      } else {
        offers.push({
          tokenId: token.id,
          type: token.type,
          source: type.info.source,
          // The page names the kind of token in the user's language; a label only tells two apart.
          label: token.description ?? token.serial ?? '',
        });
      }
    }
    return offers.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  }

  /**
   * The user's tokens, complete: the tokens of the directory's channels the user has none for yet
   * are created first (see {@link createDirectoryTokens}), so the list includes them. Read once by
   * a sign-in for its policy decision ({@link DecideOptions.tokens}) and the challenge it may start
   * ({@link StartRequest.tokens}), or the code it checks (RADIUS inline).
   */
  async tokensOf(user: User): Promise<readonly Token[]> {
    const stored = await this.tokens.listByUser(user.id);
    const missing = this.missingDirectoryChannels(user, stored);
    if (missing.length === 0) return stored;
    await this.createDirectoryTokens(user, missing);
    return this.tokens.listByUser(user.id);
  }

  /** Starts a challenge; when the preferred method is a sent passcode, sends it. */
  async start(request: StartRequest): Promise<ChallengeState> {
    const passcodePolicy = request.overrides?.passcodePolicy;
    const offers = await this.offersFor(request.user, request.methods, {
      ...(passcodePolicy ? { passcodePolicy } : {}),
      ...(request.tokens ? { tokens: request.tokens } : {}),
    });
    if (offers.length === 0) throw MfaErrors.MFA_NO_FACTOR();
    const now = this.clock();
    const row = {
      id: randomBytes(18).toString('base64url'),
      user_id: request.user.id,
      methods: JSON.stringify(offers),
      context: JSON.stringify(request.context),
      overrides: JSON.stringify(request.overrides ?? {}),
      language: request.language,
      send_error: null,
      created_at: now,
      expires_at: now + this.settings.challengeTtlSeconds * 1000,
      completed_at: null,
    };
    await this.challenges.create(row);
    const state: ChallengeState = { id: row.id, offers, context: request.context, expiresAt: row.expires_at };
    const preferred = offers[0]!;
    return preferred.source === 'sent' ? this.trySend(state, row, request.user, preferred) : state;
  }

  /** Sends (or sends again) a passcode through one of the challenge's channels. */
  async send(challengeId: string, tokenId: string): Promise<ChallengeState> {
    const { row, user, state } = await this.open(challengeId);
    const offer = state.offers.find((o) => o.tokenId === tokenId && o.source === 'sent');
    if (!offer)
      throw MfaErrors.MFA_NO_CHANNEL({ detail: `challenge ${challengeId} has no channel ${tokenId}` });
    return this.trySend(state, row, user, offer, false);
  }

  /** Checks a response; completes the challenge on success (its audit event joins `batch`, when given). */
  async verify(
    challenge: string | OpenChallenge,
    response: string,
    tokenId?: string,
    batch?: WriteBatch,
  ): Promise<SecondFactorResult & { user: User }> {
    // A door that already opened the challenge in this request hands it over: not read again.
    const { user, state } = typeof challenge === 'string' ? await this.open(challenge) : challenge;
    const challengeId = state.id;
    const allowed = state.offers.map((o) => o.tokenId);
    const ids = tokenId ? allowed.filter((id) => id === tokenId) : allowed;
    const types = [...new Set(state.offers.filter((o) => ids.includes(o.tokenId)).map((o) => o.type))];
    const result = await this.secondFactor.verify({
      user,
      response,
      context: state.context,
      types,
      ...(tokenId ? { tokenId } : {}),
      challengeId,
      ...(batch ? { batch } : {}),
    });
    if (!allowed.includes(result.token.id) || !(await this.challenges.complete(challengeId))) {
      throw MfaErrors.MFA_CHALLENGE_EXPIRED({ detail: 'the challenge was completed by another request' });
    }
    return { ...result, user };
  }

  /** The state of an open challenge (for the doors' pages). */
  async get(challengeId: string): Promise<ChallengeState> {
    return (await this.open(challengeId)).state;
  }

  /**
   * An open challenge and its user (MFA_CHALLENGE_EXPIRED when it is not open or the user may no
   * longer sign in), for a door that shows its state and then verifies it in one request.
   */
  async open(challengeId: string): Promise<OpenChallenge & { row: StoredChallenge }> {
    const row = await this.challenges.findOpen(challengeId);
    const user = row && (await this.users.findById(row.user_id));
    if (!row || !user || user.disabled || user.removedAt !== null) throw MfaErrors.MFA_CHALLENGE_EXPIRED();
    const offers = JSON.parse(row.methods) as MethodOffer[];
    // Only a channel the step offers can have sent a passcode (see send): none to look for otherwise.
    const passcode = offers.some((offer) => offer.source === 'sent')
      ? await this.passcodes.latestFor(row.id)
      : undefined;
    const state: ChallengeState = {
      id: row.id,
      offers,
      context: JSON.parse(row.context) as AttemptContext,
      expiresAt: row.expires_at,
      ...(passcode
        ? {
            sent: {
              channel: passcode.channel as Channel,
              destination: passcode.destination,
              expiresAt: passcode.expires_at,
            },
          }
        : {}),
      ...(row.send_error ? { sendError: row.send_error } : {}),
    };
    return { row, user, state };
  }

  private async trySend(
    state: ChallengeState,
    row: StoredChallenge,
    user: User,
    offer: MethodOffer,
    swallow = true,
  ): Promise<ChallengeState> {
    const token = await this.tokens.findById(offer.tokenId);
    const channel = token && this.types.get(token.type)?.channel;
    const to = token && channel && destinationOf(token, channel, user);
    if (!token || !channel || !to) throw MfaErrors.MFA_NO_CHANNEL();
    const overrides = JSON.parse(row.overrides) as ChallengeOverrides;
    try {
      const sent = await this.sender.send({
        user,
        channel,
        to,
        challengeId: row.id,
        language: row.language ?? 'en',
        context: JSON.parse(row.context) as AttemptContext,
        ...overrides,
      });
      await this.challenges.setSendError(row.id, null);
      const { sendError: _previous, ...rest } = state;
      return { ...rest, sent };
    } catch (error) {
      // A failed delivery must not hide the other methods: the step goes on, and says why.
      if (!isSendRefusal(error)) throw error;
      await this.challenges.setSendError(row.id, error.code);
      if (!swallow) throw error;
      return { ...state, sendError: error.code };
    }
  }

  /**
   * Without a rule: the registry's order, with the sent passcodes in the Passcode Policy's order
   * (and only its channels) where the registry puts the first of them.
   */
  private async defaultOrder(passcodePolicy?: string): Promise<string[]> {
    const channels = (await this.sender.policy(passcodePolicy)).channels;
    const sent = channels.flatMap((channel) => this.types.forChannel(channel)?.info.type ?? []);
    const order: string[] = [];
    let sentPlaced = false;
    for (const type of this.types.all()) {
      if (!type.channel) order.push(type.info.type);
      else if (!sentPlaced) {
        order.push(...sent);
        sentPlaced = true;
      }
    }
    return order;
  }

  /** The registry's order of the types that send nothing (what {@link defaultOrder} keeps of them). */
  private deviceOrder(): string[] {
    return this.types.all().flatMap((type) => (type.channel ? [] : [type.info.type]));
  }

  /** The directory's channels the user can receive but has no token for (of any status) yet, with their token type. */
  private missingDirectoryChannels(
    user: User,
    tokens: readonly Token[],
  ): Array<{ channel: Channel; type: string }> {
    const existing = new Set(tokens.map((t) => t.type));
    return this.settings.directoryChannels.flatMap((channel) => {
      const type = this.types.forChannel(channel)?.info.type;
      return type && directoryAddress(channel, user) && !existing.has(type) ? [{ channel, type }] : [];
    });
  }

  /**
   * Gives every user a token for each passcode channel the directory provides (a mobile number:
   * sms and voice; an e-mail address: email), so that failures and locks are counted for it like
   * for any token. Its destination stays the directory's, read at sending time.
   */
  private async createDirectoryTokens(
    user: User,
    missing: ReadonlyArray<{ channel: Channel; type: string }>,
  ): Promise<void> {
    for (const { channel, type } of missing) {
      try {
        await this.tokens.create({ id: directoryTokenId(channel, user), userId: user.id, type });
      } catch (error) {
        if (!isUniqueViolation((error as PassgateError).cause)) throw error; // created concurrently
      }
    }
  }
}

/** The id of the token that stands for a directory channel of a user. */
const directoryTokenId = (channel: string, user: User) => `${channel.toUpperCase()}-${user.id}`;

/** What an offer is made from: a stored token, or a directory channel's token yet to be created. */
type OfferCandidate = Pick<Token, 'id' | 'type' | 'destination' | 'description' | 'serial'>;

/** Where a passcode of a channel's token goes: its own destination, else the directory's. */
export function destinationOf(
  token: Pick<Token, 'destination'>,
  channel: Channel,
  user: User,
): string | null {
  return token.destination || directoryAddress(channel, user);
}
