import { randomInt } from 'node:crypto';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { BackupCodesRepository } from '../store/repositories/backup-codes.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import { TokenErrors } from './errors.js';
import { newTokenId } from './secrets.js';
import type { EnrolmentResult, EnrolRequest, TokenTypePlugin } from './token-type.js';

/** Digits of one backup code (33 bits of entropy), shown as two groups of five. */
const CODE_DIGITS = 10;

/** Codes in a list when the request does not say. */
const DEFAULT_COUNT = 10;

/** One-time backup codes, printed once, each accepted once. */
export const backupCodesType: TokenTypePlugin = {
  info: {
    type: 'backup',
    title: 'Backup codes',
    amr: ['otp'],
    source: 'list',
    parameters: [{ name: 'count', description: 'Codes in a list', default: DEFAULT_COUNT }],
  },
  describe: { noun: 'backup codes', settings: () => '' },
  enrolledBy: 'administrator',
  create: (deps) => {
    const codes = new BackupCodes(deps.backupCodes, deps.backupHasher);
    return {
      verify: (token, response) => codes.verify(token, response),
      enrol: (request) => enrolBackupCodes(deps.tokens, codes, request),
    };
  },
};

/** Creates a backup-codes token and its list; the codes are returned once. */
async function enrolBackupCodes(
  tokens: TokensRepository,
  codes: BackupCodes,
  request: EnrolRequest,
): Promise<EnrolmentResult> {
  const count = Number(request.settings.count ?? DEFAULT_COUNT);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: '--count must be from 1 to 100' });
  }
  const token = await tokens.create({
    id: request.id ?? newTokenId('backup'),
    userId: request.userId,
    type: 'backup',
  });
  return { token, codes: await codes.issue(token.id, count) };
}

/** The lists of backup codes: stored as keyed hashes only, each code used at most once. */
export class BackupCodes {
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

  /** Accepts an unused code of the token's list, and uses it up. */
  async verify(token: Token, response: string): Promise<boolean> {
    const code = response.replace(/[\s-]/g, '');
    if (!/^\d+$/.test(code) || code.length !== CODE_DIGITS) return false;
    return this.codes.use(token.id, this.hasher.candidates(code));
  }
}
