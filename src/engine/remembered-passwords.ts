import { normalizeUsername, type User, type UsersRepository } from '../store/repositories/users.js';
import type { WriteBatch } from '../store/write-batch.js';
import { type CachedSignIn, type CredentialCache, unchangedSince } from './credential-cache.js';
import type { AttemptContext, FirstFactor } from './first-factor.js';
import type { ThrottleCharge } from './throttle.js';

/** What a remembered password signed in: the user, their row's version then, and the counter it was charged to. */
export interface RememberedSignIn extends CachedSignIn {
  userCounter: ThrottleCharge;
}

/** What the remembered first factor is made of. */
export interface RememberedPasswordsDeps {
  firstFactor: Pick<FirstFactor, 'authenticate' | 'acceptRemembered'>;
  users: Pick<UsersRepository, 'findById'>;
  cache: CredentialCache<RememberedSignIn>;
}

/**
 * The first factor with a short-lived cache of good passwords in front, for doors whose clients
 * repeat the same password often (RADIUS): a password remembered for this name and client is
 * accepted without the directory (no password hash, no bind, no counters written) when the
 * user's row is unchanged since it was checked (not disabled, removed, renamed nor given a new
 * password in Passgate) and the lockout shield's counters show nothing to charge or clear; any
 * other case runs the first factor in full. A refusal forgets every password remembered for the
 * name in this process.
 */
export class RememberedPasswords {
  constructor(private readonly deps: RememberedPasswordsDeps) {}

  /**
   * The user whose password this is, as FirstFactor.authenticate answers (and refuses). With a
   * batch, the success's audit event joins it (the caller commits it before it answers).
   */
  async authenticate(
    username: string,
    password: string,
    client: string,
    context: AttemptContext,
    batch?: WriteBatch,
  ): Promise<User> {
    const { cache, firstFactor } = this.deps;
    const name = normalizeUsername(username);
    const remembered = cache.match(name, client, password);
    if (remembered) {
      const user = await this.unchanged(remembered);
      if (!user) cache.forgetDevice(name, client);
      else if (await firstFactor.acceptRemembered(username, user, remembered.userCounter, context, batch))
        return user;
    }
    let userCounter: ThrottleCharge | undefined;
    try {
      const user = await firstFactor.authenticate(
        username,
        password,
        context,
        (counter) => {
          userCounter = counter;
        },
        batch,
      );
      if (userCounter)
        cache.remember(name, client, password, { userId: user.id, userStamp: user.updatedAt, userCounter });
      return user;
    } catch (error) {
      cache.forget({ username: name });
      throw error;
    }
  }

  /** The user's row when it has not changed since the password was remembered, and still allows a sign-in. */
  private async unchanged(remembered: RememberedSignIn): Promise<User | undefined> {
    return unchangedSince(await this.deps.users.findById(remembered.userId), remembered);
  }
}
