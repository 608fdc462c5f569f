import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { WebErrors } from './errors.js';

/**
 * Security headers for every response of every site. `https` says whether the public URL is
 * https: only then may browsers be told to upgrade requests and to remember https (HSTS), for
 * over plain http (development from a VM or LAN address) they would load no style sheet and post
 * no form.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'frame-ancestors': ["'none'"],
        // form-action also governs the redirects that follow a form post, and a login ends
        // with a redirect to the application's own origin: leave it unrestricted.
        'form-action': null,
        'upgrade-insecure-requests': options.https ? [] : null,
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** A matcher for the configured trusted proxy addresses and ranges. */
export function trustedProxyMatcher(ranges: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const range of ranges) {
    const [address, prefix] = range.split('/') as [string, string | undefined];
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address: string) => {
    if (ranges.length === 0 || !address) return false;
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    return list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  };
}

/**
 * Removes forwarding headers that did not come from a trusted proxy, so that nothing further
 * down (express, oidc-provider) can be fooled by a client that sets them itself.
 */
export function stripUntrustedForwarding(isTrusted: (address: string) => boolean): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!isTrusted(req.socket.remoteAddress ?? '')) {
      for (const header of [
        'x-forwarded-for',
        'x-forwarded-proto',
        'x-forwarded-host',
        'x-forwarded-port',
        'forwarded',
      ]) {
        delete req.headers[header];
      }
    }
    next();
  };
}

/**
 * Keeps the client address on the request once it is known: express's `req.ip` is a getter that
 * walks the forwarding chain through proxy-addr on every read, and one request of a sign-in reads
 * it several times (rate limit, sign-in context, session, audit). Mounted after
 * {@link stripUntrustedForwarding} on the application whose `trust proxy` setting decides it; the
 * value is the getter's, read once.
 */
export function settleClientAddress(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    Object.defineProperty(req, 'ip', { value: req.ip, configurable: true, enumerable: true });
    next();
  };
}

/** A Host header value (RFC 9110 7.2): a name or IPv4 address, or a bracketed IPv6 address, and a port. */
const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/;

/** True for an absent or empty Host header and for a well-formed one. */
export function isWellFormedHost(value: string | undefined): boolean {
  if (!value) return true;
  const match = HOST.exec(value);
  if (!match) return false;
  const [, ipv6, port] = match;
  return (ipv6 === undefined || isIPv6(ipv6)) && (port === undefined || Number(port) <= 65535);
}

/**
 * Refuses a request whose Host header is malformed with 400 BAD_HOST. No URL is built from it
 * (they come from `server.publicUrl`), but libraries that parse it would otherwise fail with a 500.
 */
export function refuseMalformedHost(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    next(isWellFormedHost(req.headers.host) ? undefined : WebErrors.BAD_HOST({ detail: 'malformed Host' }));
  };
}
