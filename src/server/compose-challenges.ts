import type { Dispatcher } from '../dispatch/dispatcher.js';
import { Challenges } from '../engine/challenges.js';
import type { Translate } from '../engine/passcode-message.js';
import { PasscodeSender } from '../engine/passcode-sender.js';
import { PolicyStore } from '../policy/policy-store.js';
import { ChallengesRepository } from '../store/repositories/challenges.js';
import type { Core } from './core.js';

/**
 * The passcode sender and the challenge engine over a dispatcher: the server's (real gateways)
 * and the policy simulator's (gateways that never send) are built the same way.
 */
export function composeSenderAndChallenges(
  core: Core,
  dispatcher: Dispatcher,
  translate: Translate,
): { sender: PasscodeSender; challenges: Challenges } {
  const { clock } = core;
  const sender = new PasscodeSender(
    core.passcodes,
    core.passcodeHasher,
    dispatcher,
    new PolicyStore(core.policies),
    translate,
    core.audit,
    core.config.mfa.passcodeLimit,
    clock,
  );
  const challenges = new Challenges(
    core.users,
    core.tokens,
    core.tokenTypes,
    core.secondFactor,
    sender,
    new ChallengesRepository(core.database.db, clock),
    core.passcodes,
    core.config.mfa,
    clock,
  );
  return { sender, challenges };
}
