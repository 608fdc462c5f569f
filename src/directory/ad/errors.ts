import { defineErrors } from '../../errors.js';

/** Failures of a synchronisation run itself. */
export const SyncErrors = defineErrors({
  SYNC_RUNNING: { status: 409, publicMessage: 'A directory synchronisation is already running.' },
});
