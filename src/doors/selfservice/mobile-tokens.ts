import { channelsTo } from '../../config/channels.js';
import { destinationOf } from '../../engine/challenges.js';
import type { Token, TokensRepository } from '../../store/repositories/tokens.js';
import type { User } from '../../store/repositories/users.js';
import { isUniqueViolation } from '../../store/unique-violation.js';

/** The channels a mobile number gives (their token types are named after them). */
const PHONE_CHANNELS = channelsTo('mobile');

/**
 * Makes `mobile` the user's own number: it becomes the `destination` of their sms and voice
 * tokens that stand for their mobile (no destination of their own, or the old number), which
 * wins over the directory's at sending time, so a later AD sync of `users.mobile` leaves it alone.
 * A channel the user has no token for gets one, with the id `ensureDirectoryChannels` gives it.
 * Status, failures and locks stay as they are: a new number unlocks nothing.
 */
export async function setOwnMobile(
  tokens: TokensRepository,
  user: User,
  oldNumber: string | null,
  mobile: string,
): Promise<void> {
  const own = (await tokens.listByUser(user.id)).filter((t) => (PHONE_CHANNELS as string[]).includes(t.type));
  const standsForMobile = (t: Token) => t.destination === null || t.destination === oldNumber;
  const targets = own.filter(standsForMobile).map((t) => t.id);
  for (const channel of PHONE_CHANNELS) {
    if (own.some((t) => t.type === channel && standsForMobile(t))) continue;
    const id = `${channel.toUpperCase()}-${user.id}`;
    try {
      await tokens.create({ id, userId: user.id, type: channel, destination: mobile });
    } catch (error) {
      // Created meanwhile by a sign-in (ensureDirectoryChannels): set its destination below.
      if (!isUniqueViolation((error as { cause?: unknown }).cause)) throw error;
      targets.push(id);
    }
  }
  for (const id of targets) await tokens.setDestination(id, mobile);
}

/**
 * The number the user's SMS passcodes go to now: their sms token's own destination (the one
 * standing for the directory channel first), else the directory's mobile.
 */
export async function ownMobile(tokens: TokensRepository, user: User): Promise<string | null> {
  const sms = (await tokens.listByUser(user.id)).filter((t) => t.type === 'sms');
  const token = sms.find((t) => t.id === `SMS-${user.id}`) ?? sms[0];
  return token ? destinationOf(token, 'sms', user) : user.mobile;
}
