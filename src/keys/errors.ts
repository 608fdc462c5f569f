import { defineErrors } from '../errors.js';

/** Errors of signing-key rollover (`passgate keys rotate|activate`). */
export const KeyErrors = defineErrors({
  /** `keys activate` with no next key published: `keys rotate` comes first. */
  KEY_NO_NEXT: { status: 409, publicMessage: 'There is no next signing key to activate.' },
  /** `keys rotate` while a next key waits for activation: activating it, or `--replace`, comes first. */
  KEY_NEXT_PENDING: { status: 409, publicMessage: 'A next signing key is already published.' },
  /** `keys activate` before the overlap: service providers may not trust the next certificate yet. */
  KEY_OVERLAP_NOT_OVER: { status: 409, publicMessage: 'The next signing key cannot be activated yet.' },
});
