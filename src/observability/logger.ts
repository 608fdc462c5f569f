import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, pino } from 'pino';

declare module 'http' {
  interface IncomingMessage {
    /** The request id {@link requestLogger} gave the request (its X-Request-Id). */
    id?: string;
  }
}

/** Passgate's logger type. */
export type { Logger };

/** Paths that may hold a secret, wherever a log call puts them. */
const REDACT = [
  'password',
  'secret',
  'token',
  'passcode',
  'otp',
  'masterKey',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.passcode',
  '*.masterKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** Query parameters whose values are never logged (tokens, codes, hints that identify users). */
const SECRET_QUERY =
  /^(code|code_verifier|id_token_hint|token|refresh_token|access_token|client_secret|password|login_hint|state|nonce|SAMLRequest|SAMLResponse)$/i;

/** Creates the JSON logger (standard output unless a destination is given). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'passgate' } },
    destination,
  );
}

/** A URL as it may appear in a log: the values of sensitive query parameters replaced. */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, queryStart)}?${params.toString()}`;
}

/** Paths polled by orchestrators and scrapers: not logged. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Request logging with a request id: taken from a well-formed X-Request-Id header or generated,
 * echoed back in the response. One line per request when it ends (`request completed` at info,
 * `request errored` at error for a 5xx), the shape pino-http wrote; nothing is built for a
 * line the level drops (no child logger or serialized request per request). Bodies and cookies
 * are never logged.
 */
export function requestLogger(logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    if (UNLOGGED_PATHS.has(req.url ?? '')) return next();
    const started = Date.now();
    // Read now: once the answer is written on a connection the device closes, req.socket is null.
    const remoteAddress = req.socket.remoteAddress;
    const ended = () => {
      res.removeListener('finish', ended);
      res.removeListener('close', ended);
      const failed = res.statusCode >= 500;
      if (!logger.isLevelEnabled(failed ? 'error' : 'info')) return;
      const line = {
        req: {
          id,
          method: req.method,
          url: loggableUrl(req.url ?? ''),
          remoteAddress,
        },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (failed)
        logger.error(
          { ...line, err: new Error(`failed with status code ${res.statusCode}`) },
          'request errored',
        );
      else logger.info(line, 'request completed');
    };
    res.on('finish', ended);
    res.on('close', ended);
    next();
  };
}
