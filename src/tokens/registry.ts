import { CHANNEL_NAMES, type Channel } from '../config/channels.js';
import { backupCodesType } from './backup-codes.js';
import { hotpType } from './hotp.js';
import { passcodeType } from './passcode.js';
import type { TokenType, TokenTypeDeps, TokenTypePlugin, TokenTypeSpec } from './token-type.js';
import { totpType } from './totp.js';

/**
 * Every token type, one line each, in the default order of preference at sign-in (devices,
 * then the sent passcodes in the Passcode Policy's order, backup codes last). The method lists
 * of the Authentication Policy, the Token Policy's `type`, the CLI's `token add` and the
 * self-service site's profiles all follow this list.
 */
export const TOKEN_TYPES: readonly TokenTypePlugin[] = [
  totpType,
  hotpType,
  ...CHANNEL_NAMES.map(passcodeType),
  backupCodesType,
];

/** The type names of a list of token types, for zod enums (`z.enum` needs at least one). */
export function typeNames(specs: readonly TokenTypeSpec[]): [string, ...string[]] {
  return specs.map((spec) => spec.info.type) as [string, ...string[]];
}

/** The token types Passgate knows, built over the store, by type name. */
export interface TokenTypes {
  get(type: string): TokenType | undefined;
  /** Every type, in the registry's order. */
  all(): readonly TokenType[];
  /** The type of sent passcodes of a channel. */
  forChannel(channel: Channel): TokenType | undefined;
  /** The types an administrator or a user may enrol (`enrolledBy`), in the registry's order. */
  enrollable(by?: 'user'): readonly TokenType[];
}

/** Builds every type of `plugins` (the registry's by default) over the store. */
export function createTokenTypes(
  deps: TokenTypeDeps,
  plugins: readonly TokenTypePlugin[] = TOKEN_TYPES,
): TokenTypes {
  const types: TokenType[] = plugins.map(({ create, ...spec }) => {
    const type: TokenType = { ...spec, ...create(deps) };
    checkComplete(type);
    return type;
  });
  const byType = new Map(types.map((t) => [t.info.type, t]));
  if (byType.size !== types.length) throw new Error('two token types have the same name');
  return {
    get: (type) => byType.get(type),
    all: () => types,
    forChannel: (channel) => types.find((t) => t.channel === channel),
    enrollable: (by) =>
      types.filter((t) => t.enrolledBy !== undefined && (by === undefined || t.enrolledBy === by)),
  };
}

/** A type that says it can be enrolled must say how. */
function checkComplete(type: TokenType): void {
  const missing = (type.enrolledBy && !type.enrol ? ['enrol'] : []).concat(
    type.enrolledBy === 'user' && !type.provisioning ? ['provisioning'] : [],
  );
  if (missing.length > 0) throw new Error(`token type ${type.info.type} lacks ${missing.join(' and ')}`);
}
