import type { Response } from 'express';
import type { BrowserBinding } from '../login/browser-binding.js';
import { LoginErrors } from '../login/errors.js';

/**
 * Ends a site's sign-in through the hosted login once, for the administration and self-service
 * sites alike: a second finish or cancel (two tabs, a replayed cookie) is LOGIN_EXPIRED.
 */
export async function completeSiteSignIn<State extends object>(
  binding: BrowserBinding<State>,
  res: Response,
  uid: string,
  site: string,
): Promise<void> {
  if (!(await binding.complete(res, uid))) {
    throw LoginErrors.LOGIN_EXPIRED({ detail: `${site} sign-in ${uid} already ended` });
  }
}
