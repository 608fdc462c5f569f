import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { RateLimitedRoutes } from '../config/rate-limit-schema.js';
import { sameSecret } from '../crypto/same-secret.js';
import type { PassgateError } from '../errors.js';
import type { Dispatcher } from './dispatcher.js';
import { DispatchErrors } from './errors.js';

/** The header a status callback may carry its shared secret in (else `?token=`). */
export const RECEIPT_TOKEN_HEADER = 'x-passgate-token';

/** Gateways post receipts unauthenticated until the secret is checked: limited per address, refused in JSON. */
export const RECEIPTS_RATE_LIMITED: RateLimitedRoutes = {
  group: 'receipts',
  paths: ['/dispatch/receipts/:gateway'],
  answer: 'json',
};

function reject(res: Response, error: PassgateError): void {
  res.status(error.status).json({ error: error.code, message: error.publicMessage });
}

/**
 * POST /dispatch/receipts/:gateway: status callbacks of HTTP gateways (Twilio's MessageStatus
 * and the like). The shared secret is checked before the body is read; the body is limited in
 * size; what the gateway's parser reads as receipts is recorded on the delivery attempts.
 */
export function createReceiptsRouter(
  dispatcher: Dispatcher,
  options: { maxBodyBytes?: number } = {},
): Router {
  const router = Router();
  const limit = options.maxBodyBytes ?? 16_384;

  const authenticate = (req: Request, res: Response, next: NextFunction) => {
    const gateway = dispatcher.gateway(String(req.params.gateway));
    if (!gateway?.parseCallback || !gateway.callbackSecret)
      return reject(res, DispatchErrors.RECEIPT_UNKNOWN_GATEWAY());
    const query = req.query.token;
    const token = req.get(RECEIPT_TOKEN_HEADER) ?? (typeof query === 'string' ? query : undefined);
    if (!token) return reject(res, DispatchErrors.RECEIPT_UNAUTHORIZED());
    if (!sameSecret(token, gateway.callbackSecret)) return reject(res, DispatchErrors.RECEIPT_FORBIDDEN());
    next();
  };

  router.post(
    '/dispatch/receipts/:gateway',
    authenticate,
    express.urlencoded({ extended: false, limit, parameterLimit: 100 }),
    express.json({ limit }),
    async (req: Request, res: Response) => {
      const gateway = dispatcher.gateway(String(req.params.gateway));
      const receipts = gateway?.parseCallback?.({ headers: req.headers, body: req.body ?? {} });
      if (!receipts) return reject(res, DispatchErrors.RECEIPT_INVALID());
      for (const receipt of receipts) await dispatcher.recordReceipt(receipt);
      res.status(200).json({ recorded: receipts.length });
    },
  );
  router.use('/dispatch/receipts', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = Number((error as { status?: unknown }).status);
    if (res.headersSent || !(status >= 400 && status < 500)) return next(error);
    res.status(status).json({ error: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'RECEIPT_INVALID' });
  });
  return router;
}
