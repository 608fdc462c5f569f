import type { Clock } from '../clock.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import type { WriteBatch } from '../store/write-batch.js';
import { matchTotp, type OathAlgorithm, type OathDigits, timeStep } from './oath.js';
import { enrolOathType, oathParameters, oathPolicySettings, oathProvisioning } from './oath-plugin.js';
import { resyncTotp } from './resync.js';
import type { TokenTypePlugin } from './token-type.js';

/** TOTP (RFC 6238): codes from the time; learns each token's clock drift. */
export const totpType: TokenTypePlugin = {
  info: {
    type: 'totp',
    title: 'Time-based one-time password (TOTP)',
    amr: ['otp'],
    source: 'device',
    parameters: oathParameters({ name: 'period', description: 'Time step in seconds', default: 30 }),
  },
  describe: {
    noun: 'TOTP token',
    settings: (token) => `${token.algorithm}/${token.digits}/${token.period}s`,
  },
  policySettings: oathPolicySettings,
  enrolledBy: 'user',
  create: (deps) => ({
    verify: (token, response, context) =>
      verifyTotp(deps.tokens, deps.clock, deps.totpWindow, token, response, context.whenAccepted),
    enrol: (request) => enrolOathType(deps.tokens, 'totp', request),
    provisioning: (token, label, issuer) => oathProvisioning(deps.tokens, token, label, issuer),
    resync: (token, codes, window) => resyncTotp(deps.tokens, token, codes, window, deps.clock),
  }),
};

/** Accepts a code within `window` steps of the token's clock, never a step at or before the last one used. */
async function verifyTotp(
  tokens: TokensRepository,
  clock: Clock,
  window: number,
  token: Token,
  response: string,
  whenAccepted?: WriteBatch,
): Promise<boolean> {
  const period = token.period ?? 30;
  const current = timeStep(clock(), period);
  const expected = current + token.drift;
  const secret = await tokens.secretOfListed(token);
  const matched = matchTotp(secret, response, expected, window, period, {
    algorithm: (token.algorithm ?? 'SHA1') as OathAlgorithm,
    digits: (token.digits ?? 6) as OathDigits,
  });
  if (matched === undefined || (token.lastStep !== null && matched <= token.lastStep)) return false;
  return tokens.acceptTimeStep(token.id, matched, matched - current, whenAccepted);
}
