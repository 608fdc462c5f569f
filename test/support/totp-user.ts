import { setTimeout as sleep } from 'node:timers/promises';
import type { Core } from '../../src/server/core.js';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { type OathParams, timeStep, totpCode } from '../../src/tokens/oath.js';

/** The RFC 4226/6238 test seed the TOTP users of the tests share (their codes are computed from it). */
export const TEST_TOTP_SECRET = Buffer.from('12345678901234567890');

/** Adds a user with a password and a TOTP token on the test seed, as the sign-in tests need one. */
export async function addTotpTestUser(
  server: { core: Pick<Core, 'tokens'>; addUser(username: string, password: string): Promise<User> },
  username: string,
  password: string,
): Promise<User> {
  const user = await server.addUser(username, password);
  await enrolOath(
    server.core.tokens,
    { userId: user.id, label: username, type: 'totp', secret: TEST_TOTP_SECRET },
    'Passgate',
  );
  return user;
}

/**
 * TOTP codes for a test that enters codes of one token more than once, as a person does: always
 * the code of the current time step, never one ahead (a server that checked the previous code
 * just after its step ended learned a drift of −1 and refuses a code one step ahead), and after
 * a code was used, the next one only from the following step (a code counts once), waiting for
 * it if need be (at most one period).
 */
export function totpCodes(period = 30, options: OathParams = { algorithm: 'SHA1', digits: 6 }) {
  const lastStep = new Map<string, number>();
  return async (secret: Uint8Array): Promise<string> => {
    const key = Buffer.from(secret).toString('hex');
    const used = lastStep.get(key);
    let step = timeStep(Date.now(), period);
    if (used !== undefined && step <= used) {
      await sleep((used + 1) * period * 1000 - Date.now() + 50);
      step = timeStep(Date.now(), period);
    }
    lastStep.set(key, step);
    return totpCode(secret, step, period, options);
  };
}
