import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { FirstFactor } from '../../engine/first-factor.js';
import { defineErrors, PassgateError } from '../../errors.js';
import type { CsrfProtection } from '../../web/csrf.js';
import type { PageRenderer } from './provider.js';

/** Errors of the hosted login flow itself. */
export const LoginErrors = defineErrors({
  LOGIN_EXPIRED: {
    status: 400,
    publicMessage: 'This sign-in page has expired. Go back to the application and start again.',
  },
});

/** What the hosted login pages need. */
export interface LoginRoutesOptions {
  /** The current provider (it is rebuilt when signing keys rotate). */
  provider: () => Provider;
  firstFactor: FirstFactor;
  render: PageRenderer;
  csrf: CsrfProtection;
  maxBodyBytes: number;
}

/**
 * The hosted login page for OpenID Connect: oidc-provider's interaction, rendered under
 * `/login/:uid`. The page only collects credentials; the engine decides.
 */
export function createLoginRoutes(options: LoginRoutesOptions): Router {
  const { provider, firstFactor, render, csrf } = options;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: options.maxBodyBytes, parameterLimit: 20 });

  const loadInteraction = async (req: Request, res: Response) => {
    try {
      const details = await provider().interactionDetails(req, res);
      if (details.uid !== req.params.uid || details.prompt.name !== 'login')
        throw new Error('interaction mismatch');
      return details;
    } catch (error) {
      throw LoginErrors.LOGIN_EXPIRED({ cause: error });
    }
  };

  const showLogin = async (
    req: Request,
    res: Response,
    clientId: string,
    fields: { username?: string; error?: PassgateError },
  ) => {
    const client = await provider().Client.find(clientId);
    const html = await render(req, 'login/login', {
      uid: req.params.uid,
      csrfToken: csrf.token(req, res),
      clientName: client?.clientName ?? clientId,
      username: fields.username ?? '',
      error: fields.error ? { code: fields.error.code, message: fields.error.publicMessage } : null,
    });
    res
      .status(fields.error?.status ?? 200)
      .type('html')
      .send(html);
  };

  router.get('/login/:uid', async (req, res) => {
    const details = await loadInteraction(req, res);
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    await showLogin(req, res, String(details.params.client_id), { ...(hint ? { username: hint } : {}) });
  });

  router.post('/login/:uid', form, csrf.protect, async (req, res) => {
    const details = await loadInteraction(req, res);
    const clientId = String(details.params.client_id);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.slice(0, 256) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    try {
      const user = await firstFactor.authenticate(username, password, {
        address: req.ip ?? req.socket.remoteAddress ?? '',
        door: 'oidc',
        application: clientId,
      });
      await provider().interactionFinished(
        req,
        res,
        { login: { accountId: user.id, amr: ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      if (!(error instanceof PassgateError) || error.status >= 500) throw error;
      await showLogin(req, res, clientId, { username, error });
    }
  });

  router.post('/login/:uid/abort', form, csrf.protect, async (req, res) => {
    await loadInteraction(req, res);
    await provider().interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
      { mergeWithLastSubmission: false },
    );
  });

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!LoginErrors.is(error)) return next(error);
    render(req, 'error', { status: error.status, code: error.code, description: undefined })
      .then((html) => res.status(error.status).type('html').send(html))
      .catch(next);
  });
  return router;
}
