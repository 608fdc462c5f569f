import { randomInt } from 'node:crypto';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { BackupCodesRepository } from '../store/repositories/backup-codes.js';
import type { Token } from '../store/repositories/tokens.js';
import type { TokenType, TokenTypeInfo } from './token-type.js';

/** Digits of one backup code (33 bits of entropy), shown as two groups of five. */
const CODE_DIGITS = 10;

/** One-time backup codes, printed once, each accepted once. */
export class BackupCodesTokenType implements TokenType {
  readonly info: TokenTypeInfo = {
    type: 'backup',
    title: 'Backup codes',
    amr: ['otp'],
    source: 'list',
    parameters: [{ name: 'count', description: 'Codes in a list', default: 10 }],
  };

  constructor(
    private readonly codes: BackupCodesRepository,
    private readonly hasher: CodeHasher,
  ) {}

  /** Generates a fresh list for a token and stores only their hashes; returns the codes to show once. */
  async issue(tokenId: string, count: number): Promise<string[]> {
    const codes = Array.from({ length: count }, () =>
      Array.from({ length: CODE_DIGITS }, () => randomInt(10)).join(''),
    );
    await this.codes.replace(
      tokenId,
      codes.map((code) => this.hasher.hash(code)),
    );
    return codes.map((code) => `${code.slice(0, 5)}-${code.slice(5)}`);
  }

  async verify(token: Token, response: string): Promise<boolean> {
    const code = response.replace(/[\s-]/g, '');
    if (!/^\d+$/.test(code) || code.length !== CODE_DIGITS) return false;
    return this.codes.use(token.id, this.hasher.candidates(code));
  }
}
