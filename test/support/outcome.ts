import { MfaErrors } from '../../src/engine/errors.js';

/** 'ok' when the second-factor call succeeds, else the MfaErrors code it raised. */
export async function outcome(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'ok';
  } catch (error) {
    if (MfaErrors.is(error)) return error.code;
    throw error;
  }
}
