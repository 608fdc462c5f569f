import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, pino } from 'pino';
import { pinoHttp } from 'pino-http';

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

/**
 * Request logging with a request id: taken from a well-formed X-Request-Id header or generated,
 * echoed back in the response. Bodies and cookies are never logged.
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: loggableUrl(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: {
      ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
    },
  });
}
