import { z } from 'zod';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Where Prometheus metrics are served. Off by default, as Keycloak does (metrics disabled unless
 * enabled, then on a management port of their own): process and sign-in figures are not for the
 * public port.
 */
export const metricsSchema = z
  .strictObject({
    listen: z
      .string()
      .regex(
        /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
        'expected host:port, e.g. 0.0.0.0:9464 or 127.0.0.1:9464',
      )
      .optional()
      .describe(
        'Serve `/metrics` on a listener of its own, `host:port` (e.g. `0.0.0.0:9464`), instead of the public port.',
      ),
    tokenEnv: z
      .string()
      .regex(ENV_NAME, 'expected the name of an environment variable')
      .optional()
      .describe(
        'Environment variable holding a bearer token (16 characters or more) that `/metrics` requires; compared in constant time, never logged.',
      ),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding that token (a Docker or Kubernetes secret), instead of `tokenEnv`.'),
  })
  .refine((metrics) => !(metrics.tokenEnv && metrics.tokenFile), {
    message: 'set metrics.tokenEnv or metrics.tokenFile, not both',
    path: ['tokenFile'],
  })
  .prefault({})
  .describe(
    'Prometheus metrics at `/metrics`. Off unless `listen` or a token is set: on that listener when `listen` is set (behind the token too, if one is), else on the public port behind the token.',
  );
