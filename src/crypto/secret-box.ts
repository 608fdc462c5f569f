import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SecretBoxErrors } from './errors.js';

/**
 * Encrypts secrets at rest (signing keys, token seeds) with AES-256-GCM under the master key.
 * Each envelope names the id of the key that sealed it, so the master key can change: the old
 * one stays configured under `secrets.previousMasterKeys` until everything is re-sealed.
 */
export interface SecretBox {
  /** Id of the key that seals new secrets. */
  readonly keyId: string;
  /** Seals `plaintext`; `context` (e.g. "signing-key:abc") is bound as associated data. */
  seal(plaintext: Buffer | string, context: string): string;
  /** Opens an envelope sealed with the same context; throws SECRET_UNDECRYPTABLE otherwise. */
  open(envelope: string, context: string): Buffer;
  /** True when the envelope was sealed by an older key and should be re-sealed. */
  isStale(envelope: string): boolean;
  /** Keys derived for one purpose (cookie signing, CSRF), newest first, for verify-with-any use. */
  derive(purpose: string): Buffer[];
}

const VERSION = 'v1';

/** Short, non-secret id of a master key: the first 8 base64url characters of its SHA-256. */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/** Builds a SecretBox from the current master key and any previous ones (32 bytes each). */
export function createSecretBox(current: Buffer, previous: readonly Buffer[] = []): SecretBox {
  const keys = new Map<string, Buffer>();
  for (const key of [current, ...previous]) keys.set(masterKeyId(key), key);
  const keyId = masterKeyId(current);

  return {
    keyId,
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return [VERSION, keyId, iv, ciphertext, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(envelope, context) {
      const [version, id, iv, ciphertext, tag] = envelope.split('.');
      const key = id === undefined ? undefined : keys.get(id);
      if (version !== VERSION || !key || !iv || ciphertext === undefined || !tag) {
        throw SecretBoxErrors.SECRET_UNDECRYPTABLE({
          detail: `secret for ${context} was sealed with ${id && !key ? `unknown master key ${id}` : 'an unknown format'}`,
        });
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      } catch (error) {
        throw SecretBoxErrors.SECRET_UNDECRYPTABLE({
          detail: `secret for ${context} failed authentication`,
          cause: error,
        });
      }
    },
    isStale(envelope) {
      return envelope.split('.')[1] !== keyId;
    },
    derive(purpose) {
      return [...keys.values()].map((key) => Buffer.from(hkdfSync('sha256', key, 'passgate', purpose, 32)));
    },
  };
}
