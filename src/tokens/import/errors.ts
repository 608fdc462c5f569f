import { defineErrors } from '../../errors.js';

/** Errors of importing token files (PSKC, CSV). */
export const ImportErrors = defineErrors({
  /** The file cannot be read at all: not well-formed, a DOCTYPE, not PSKC, an unreadable CSV. */
  IMPORT_INVALID_FILE: { status: 400, publicMessage: 'The import file cannot be read.' },
  /** The pre-shared key is missing or not a usable AES key. */
  IMPORT_INVALID_KEY: { status: 400, publicMessage: 'The pre-shared key is not valid.' },
  /** One or more entries are wrong; nothing was imported. The message lists every problem. */
  IMPORT_REJECTED: { status: 400, publicMessage: 'The import file has errors; nothing was imported.' },
});
