import type { ServerResponse } from 'node:http';

/** The Content-Type of every page. */
const HTML = 'text/html; charset=utf-8';

/**
 * Sends a whole page as express's `res.status(status).type('html').send(html)` does (the same
 * Content-Type and Content-Length; no ETag, as the sites set none; no body to a HEAD request),
 * without the MIME lookup and Content-Type parsing `send` repeats for every response: for pages
 * sent on a hot path (the SAML post page of every single sign-on).
 */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', HTML);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
