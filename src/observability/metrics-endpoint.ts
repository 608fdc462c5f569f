import { readFileSync } from 'node:fs';
import type { Request, RequestHandler, Response } from 'express';
import { ConfigErrors } from '../config/errors.js';
import type { Config } from '../config/load.js';
import { sameSecret } from '../crypto/same-secret.js';
import type { Metrics } from './metrics.js';

/** Shortest bearer token accepted: guessing must not be an option. */
const MIN_TOKEN_LENGTH = 16;

/** Where `/metrics` is served, decided once at start from `config.metrics`. */
export interface MetricsExposure {
  /** `host:port` of a listener of its own, when configured. */
  listen?: { host: string; port: number };
  /** Served on the public port (behind the token): only when a token is set and no listener is. */
  onPublicPort: boolean;
  /** The bearer token every scrape must present, when configured. */
  token?: string;
}

/**
 * Reads the metrics settings, and the token from its variable or file, once at start: a token
 * that is missing or too short stops the start naming the key. The token never reaches the log.
 */
export function metricsExposure(
  settings: Config['metrics'],
  env: NodeJS.ProcessEnv = process.env,
): MetricsExposure {
  const token = readToken(settings, env);
  const listen = settings.listen ? splitHostPort(settings.listen) : undefined;
  return {
    ...(listen ? { listen } : {}),
    onPublicPort: !listen && token !== undefined,
    ...(token !== undefined ? { token } : {}),
  };
}

/**
 * GET /metrics: the Prometheus text (`scrape`: this process's registry, or the sum over the
 * workers), to a scraper presenting the bearer token when one is set.
 */
export function metricsHandler(
  metrics: Metrics,
  token: string | undefined,
  scrape: () => Promise<string> = () => metrics.registry.metrics(),
): RequestHandler {
  return async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    if (token !== undefined && !sameSecret(bearerOf(req) ?? '', token)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="passgate-metrics"')
        .type('text')
        .send('Unauthorized\n');
      return;
    }
    let text: string;
    try {
      text = await scrape();
    } catch {
      res.status(503).type('text').send('Metrics are unavailable; try again.\n');
      return;
    }
    res.type(metrics.registry.contentType).send(text);
  };
}

function bearerOf(req: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
}

function readToken(settings: Config['metrics'], env: NodeJS.ProcessEnv): string | undefined {
  const fail = (key: string, problem: string) => {
    throw ConfigErrors.CONFIG_INVALID({ detail: `metrics.${key}: ${problem}` });
  };
  let token: string | undefined;
  if (settings.tokenEnv) {
    token = env[settings.tokenEnv]?.trim();
    if (!token) fail('tokenEnv', `environment variable ${settings.tokenEnv} is not set`);
  } else if (settings.tokenFile) {
    try {
      token = readFileSync(settings.tokenFile, 'utf8').trim();
    } catch (error) {
      fail(
        'tokenFile',
        `${settings.tokenFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else return undefined;
  if (!token || token.length < MIN_TOKEN_LENGTH) {
    fail(
      settings.tokenEnv ? 'tokenEnv' : 'tokenFile',
      `the token must have ${MIN_TOKEN_LENGTH} characters or more`,
    );
  }
  return token;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}
