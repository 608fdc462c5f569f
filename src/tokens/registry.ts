import type { Clock } from '../clock.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { BackupCodesRepository } from '../store/repositories/backup-codes.js';
import type { TokensRepository } from '../store/repositories/tokens.js';
import { BackupCodesTokenType } from './backup-codes.js';
import { HotpTokenType } from './hotp.js';
import type { TokenType } from './token-type.js';
import { TotpTokenType } from './totp.js';

/** The token types Passgate knows, by type name. */
export interface TokenTypes {
  get(type: string): TokenType | undefined;
  all(): TokenType[];
  backup: BackupCodesTokenType;
}

/** What the token types are built from. */
export interface TokenTypeDeps {
  tokens: TokensRepository;
  backupCodes: BackupCodesRepository;
  hasher: CodeHasher;
  clock: Clock;
  totpWindow: number;
  hotpWindow: number;
  /** Further types (the passcode channels), registered by the composition root. */
  extra?: TokenType[];
}

/** Builds the registry: one line per token type. */
export function createTokenTypes(deps: TokenTypeDeps): TokenTypes {
  const backup = new BackupCodesTokenType(deps.backupCodes, deps.hasher);
  const types: TokenType[] = [
    new TotpTokenType(deps.tokens, deps.clock, deps.totpWindow),
    new HotpTokenType(deps.tokens, deps.hotpWindow),
    backup,
    ...(deps.extra ?? []),
  ];
  const byType = new Map(types.map((t) => [t.info.type, t]));
  return { get: (type) => byType.get(type), all: () => types, backup };
}
