import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import type { WriteBatch } from '../store/write-batch.js';
import { matchHotp, type OathAlgorithm, type OathDigits } from './oath.js';
import { enrolOathType, oathParameters, oathPolicySettings, oathProvisioning } from './oath-plugin.js';
import { resyncHotp } from './resync.js';
import type { TokenTypePlugin } from './token-type.js';

/** HOTP (RFC 4226): codes from a counter, with a look-ahead window. */
export const hotpType: TokenTypePlugin = {
  info: {
    type: 'hotp',
    title: 'Counter-based one-time password (HOTP)',
    amr: ['otp'],
    source: 'device',
    parameters: oathParameters({ name: 'counter', description: 'Next counter value', default: 0 }),
  },
  describe: {
    noun: 'HOTP token',
    settings: (token) => `${token.algorithm}/${token.digits} counter ${token.counter}`,
  },
  policySettings: oathPolicySettings,
  enrolledBy: 'user',
  create: (deps) => ({
    verify: (token, response, context) =>
      verifyHotp(deps.tokens, deps.hotpWindow, token, response, context.whenAccepted),
    enrol: (request) => enrolOathType(deps.tokens, 'hotp', request),
    provisioning: (token, label, issuer) => oathProvisioning(deps.tokens, token, label, issuer),
    resync: (token, codes, window) => resyncHotp(deps.tokens, token, codes, window),
  }),
};

/** Accepts a code of one of the next `window` counter values, and moves the counter past it. */
async function verifyHotp(
  tokens: TokensRepository,
  window: number,
  token: Token,
  response: string,
  whenAccepted?: WriteBatch,
): Promise<boolean> {
  const secret = await tokens.secretOfListed(token);
  const matched = matchHotp(secret, response, token.counter, window, {
    algorithm: (token.algorithm ?? 'SHA1') as OathAlgorithm,
    digits: (token.digits ?? 6) as OathDigits,
  });
  return matched !== undefined && tokens.acceptCounter(token.id, token.counter, matched, whenAccepted);
}
