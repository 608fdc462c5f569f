import { z } from 'zod';

/**
 * The channels Passgate sends passcodes through, and the user's address each one reaches. This is
 * the one list: the gateways' channels, the passcode token types, the Passcode and Load Balancing
 * Policies and `mfa.directoryChannels` are all built from it. It lives in config/, the lowest
 * layer every one of them (configuration included) may import.
 */
export const CHANNELS = {
  sms: { address: 'mobile' },
  voice: { address: 'mobile' },
  email: { address: 'email' },
} as const satisfies Record<string, { address: 'mobile' | 'email' }>;

/** How a passcode reaches a person. */
export type Channel = keyof typeof CHANNELS;

/** The channel names, in the order of the list (the default order of preference). */
export const CHANNEL_NAMES = Object.keys(CHANNELS) as [Channel, ...Channel[]];

/** One channel name in a settings schema. */
export const channelSchema = z.enum(CHANNEL_NAMES);

/** True for a channel name (token types and stored rows carry them as plain strings). */
export function isChannel(name: string): name is Channel {
  return Object.hasOwn(CHANNELS, name);
}

/** The channels that reach a user at their mobile number (or at their e-mail address). */
export function channelsTo(address: 'mobile' | 'email'): Channel[] {
  return CHANNEL_NAMES.filter((channel) => CHANNELS[channel].address === address);
}

/** The directory's address of a user for a channel: their mobile number or e-mail address. */
export function directoryAddress(
  channel: Channel,
  user: { mobile: string | null; email: string | null },
): string | null {
  return user[CHANNELS[channel].address];
}
