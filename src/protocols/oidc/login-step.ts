import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { defineErrors } from '../../errors.js';
import type { CsrfProtection } from '../../web/csrf.js';
import type { PageRenderer } from './provider.js';

/** Errors of the hosted login flow itself. */
export const LoginErrors = defineErrors({
  LOGIN_EXPIRED: {
    status: 400,
    publicMessage: 'This sign-in page has expired. Go back to the application and start again.',
  },
});

/** What every step of the hosted login needs. */
export interface LoginStepDeps {
  /** The current provider (it is rebuilt when signing keys rotate). */
  provider: () => Provider;
  render: PageRenderer;
  csrf: CsrfProtection;
  /** The language of a request's pages (and of the passcode messages it triggers). */
  language: (req: Request) => string;
  secureCookies: boolean;
}

/** The open login interaction of `/login/:uid`, or LOGIN_EXPIRED. */
export async function loadLoginInteraction(provider: Provider, req: Request, res: Response) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== req.params.uid || details.prompt.name !== 'login')
      throw new Error('interaction mismatch');
    return details;
  } catch (error) {
    throw LoginErrors.LOGIN_EXPIRED({ cause: error });
  }
}

/** Ends the interaction: back to oidc-provider, which redirects to the application. */
export function finishLogin(
  provider: Provider,
  req: Request,
  res: Response,
  result: InteractionResults,
): Promise<void> {
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

/** The client address as established by the shell (trusted proxies resolved). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}
