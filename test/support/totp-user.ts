import type { Core } from '../../src/server/core.js';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';

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
