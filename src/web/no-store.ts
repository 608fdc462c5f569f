import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Tells browsers and shared caches to keep nothing of a response: the sites' pages show codes,
 * secrets, QR codes and personal data, and the back button or a proxy must not bring them back.
 * Mounted once for every site (after the static assets, which hold no secret).
 */
export function doNotStore(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
}
