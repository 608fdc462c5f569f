import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt parameters; cost is log2(N). */
export interface ScryptParams {
  cost: number;
  blockSize: number;
  parallelization: number;
}

const KEY_LENGTH = 32;

function deriveKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.cost;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N, r: params.blockSize, p: params.parallelization, maxmem: 256 * N * params.blockSize + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** Hashes a password into a self-describing PHC-style string: `$scrypt$ln=15,r=8,p=1$salt$hash`. */
export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(16);
  const key = await deriveKey(password, salt, params);
  const settings = `ln=${params.cost},r=${params.blockSize},p=${params.parallelization}`;
  return `$scrypt$${settings}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * Checks a password against a stored hash in constant time, using the parameters stored with
 * the hash (so raising the configured cost does not break existing users).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored);
  if (!match) return false;
  const [, ln, r, p, salt, hash] = match;
  const expected = Buffer.from(hash as string, 'base64url');
  const params = { cost: Number(ln), blockSize: Number(r), parallelization: Number(p) };
  const actual = await deriveKey(password, Buffer.from(salt as string, 'base64url'), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash was made with weaker parameters than the configured ones. */
export function needsRehash(stored: string, params: ScryptParams): boolean {
  const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$/.exec(stored);
  return !match || Number(match[1]) < params.cost || Number(match[2]) < params.blockSize;
}
