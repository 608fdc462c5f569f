import { isIP } from 'node:net';
import { z } from 'zod';
import { activesyncSchema } from './activesync-schema.js';
import { adminSchema } from './admin-schema.js';
import { attemptsSchema } from './attempts-schema.js';
import { channelSchema } from './channels.js';
import { directoriesSchema, directorySchema } from './directory-schema.js';
import { licencesSchema } from './licences-schema.js';
import { metricsSchema } from './metrics-schema.js';
import { geoSchema, learningSchema, mfaSessionMinutes } from './policies-schema.js';
import { radiusSchema } from './radius-schema.js';
import { rateLimitSchema } from './rate-limit-schema.js';
import { resetSchema } from './reset-schema.js';
import { retentionSchema } from './retention-schema.js';
import { samlSchema } from './saml-schema.js';
import { selfserviceSchema } from './selfservice-schema.js';
import { sessionsSchema } from './sessions-schema.js';

/**
 * The one place where every configuration option, its default and its meaning is declared.
 * `docs/configuration.md` is generated from this file (`npm run docs:config`) and the lint step
 * fails when the two disagree, so the reference can never drift from the code. The parts a
 * plug-in owns (a gateway's settings, a policy kind's document) come from the plug-in's own
 * folder, handed in by the composition root (src/server/config.ts): config/ is the bottom layer.
 */

/** What config/ itself knows of one `dispatch.gateways` entry: the plug-in it names, and its name. */
export interface GatewayEntry {
  type: string;
  name: string;
}

/**
 * The schemas of the configuration's plug-in sections, owned by the folders above config/: one
 * entry of `dispatch.gateways` (src/dispatch/registry.ts) and the document of each policy kind
 * seeded from `policies` (src/policy/kinds.ts).
 */
export interface PluginSchemas {
  gateway: z.ZodType<GatewayEntry, unknown>;
  policies: {
    token: z.ZodType;
    passcode: z.ZodType;
    loadBalancing: z.ZodType;
    authentication: z.ZodType;
    device: z.ZodType;
  };
}

const cidr = z.string().refine(isCidr, { message: 'expected an IP address or CIDR range, e.g. 10.0.0.0/8' });

function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

const policyName = z
  .string()
  .regex(/^[\w.-]{1,64}$/, 'a policy name is 1 to 64 letters, digits, dots, dashes or underscores');

const seconds = (fallback: number, description: string) =>
  z.number().int().positive().default(fallback).describe(description);

const throttleRule = (maxFailures: number, description: string) =>
  z
    .strictObject({
      maxFailures: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(maxFailures)
        .describe('Failed attempts allowed inside the window before further attempts are refused.'),
      windowSeconds: seconds(900, 'Length of the counting window; a block lasts until the window ends.'),
    })
    .prefault({})
    .describe(description);

/** Schema of the YAML configuration file, with every default, over the plug-ins' own schemas. */
export function configSchemaWith<P extends PluginSchemas>(plugins: P) {
  return z
    .strictObject({
      mode: z
        .enum(['development', 'production'])
        .default('development')
        .describe(
          'In production Passgate refuses to start without a master key or a gateway that sends passcodes, and never uses the outbox (environment: `PASSGATE_MODE`).',
        ),
      dataDir: z
        .string()
        .min(1)
        .default('./data')
        .describe('Folder for the SQLite database, the development master key and the outbox.'),
      metadataDir: z
        .string()
        .min(1)
        .default('./metadata')
        .describe('Folder an administrator drops application metadata into (`oidc/*.yaml`, `saml/*`).'),
      server: z
        .strictObject({
          host: z.string().min(1).default('0.0.0.0').describe('Address the HTTP server listens on.'),
          port: z.number().int().min(0).max(65535).default(3000).describe('TCP port (environment: `PORT`).'),
          publicUrl: z
            .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
            .optional()
            .describe(
              'External base URL, used as the OIDC issuer (environment: `PASSGATE_PUBLIC_URL`). Default: `http://localhost:<port>`.',
            ),
          trustedProxies: z
            .array(cidr)
            .default([])
            .describe('Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed.'),
          maxBodyBytes: z
            .number()
            .int()
            .min(1024)
            .default(65536)
            .describe('Largest request body accepted on form and API routes.'),
          shutdownGraceSeconds: seconds(10, 'On SIGTERM, how long in-flight requests may take to finish.'),
          workers: z
            .number()
            .int()
            .min(1)
            .max(256)
            .optional()
            .describe(
              'Server processes sharing the port and the store (environment: `PASSGATE_WORKERS`); 1 runs one process and no primary. Default: the number of CPUs.',
            ),
        })
        .prefault({})
        .describe('HTTP server.'),
      database: z
        .strictObject({
          url: z
            .string()
            .regex(
              /^(sqlite:|postgres(ql)?:\/\/)/,
              'expected sqlite:<path> or postgres://user:password@host/db',
            )
            .optional()
            .describe(
              'Database URL (environment: `PASSGATE_DATABASE_URL`). Default: `sqlite:<dataDir>/passgate.db`.',
            ),
          poolSize: z.number().int().min(1).max(100).default(10).describe('PostgreSQL connection pool size.'),
          connectTimeoutSeconds: seconds(5, 'How long one connection attempt may take.'),
          retryInitialDelayMs: z
            .number()
            .int()
            .min(10)
            .default(500)
            .describe('First delay before retrying an unreachable database; doubles up to the maximum.'),
          retryMaxDelayMs: z
            .number()
            .int()
            .min(10)
            .default(30000)
            .describe('Longest delay between connection retries.'),
        })
        .prefault({})
        .describe('Storage: SQLite (embedded default) or PostgreSQL.'),
      secrets: z
        .strictObject({
          masterKey: z
            .string()
            .optional()
            .describe(
              'Base64 of 32 random bytes that encrypts keys and token secrets at rest (environment: `PASSGATE_MASTER_KEY`). ' +
                'Development generates one in `<dataDir>/master.key`.',
            ),
          previousMasterKeys: z
            .array(z.string())
            .default([])
            .describe('Older master keys, still accepted for decryption after a master-key change.'),
        })
        .prefault({})
        .describe('Encryption of secrets at rest (AES-256-GCM).'),
      log: z
        .strictObject({
          level: z
            .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
            .default('info')
            .describe('Minimum level of the JSON log written to standard output.'),
        })
        .prefault({})
        .describe('Structured logging.'),
      metrics: metricsSchema,
      directory: directorySchema,
      directories: directoriesSchema,
      passwords: z
        .strictObject({
          scryptCost: z
            .number()
            .int()
            .min(1)
            .max(20)
            .default(15)
            .describe(
              'scrypt cost as log2(N): 15 means N = 32768, 32 MiB and 0.1–0.25 s of CPU per sign-in. Existing hashes keep their own until the next sign-in.',
            ),
          scryptBlockSize: z.number().int().min(1).max(32).default(8).describe('scrypt block size r.'),
          scryptParallelization: z
            .number()
            .int()
            .min(1)
            .max(16)
            .default(1)
            .describe('scrypt parallelization p.'),
        })
        .prefault({})
        .describe('Hashing of local-directory passwords (scrypt from node:crypto).'),
      loginThrottle: z
        .strictObject({
          perUser: throttleRule(5, 'Failed sign-ins per user name, whatever the source address.'),
          perAddress: throttleRule(30, 'Failed sign-ins per source address, whatever the user name.'),
        })
        .prefault({})
        .describe('Throttling of password attempts, shared by all server processes through the database.'),
      rateLimit: rateLimitSchema,
      oidc: z
        .strictObject({
          signingAlgorithm: z
            .enum(['ES256', 'RS256'])
            .default('ES256')
            .describe('Default ID-token signing algorithm; clients may ask for the other one.'),
          accessTokenTtlSeconds: seconds(3600, 'Lifetime of access tokens.'),
          idTokenTtlSeconds: seconds(
            3600,
            'Lifetime of ID tokens; retired signing keys stay published this long.',
          ),
          refreshTokenTtlSeconds: seconds(14 * 24 * 3600, 'Lifetime of refresh tokens.'),
          authorizationCodeTtlSeconds: seconds(60, 'Lifetime of authorization codes.'),
          sessionTtlSeconds: seconds(8 * 3600, 'Lifetime of a browser sign-in session at Passgate.'),
          interactionTtlSeconds: seconds(600, 'Time a user has to complete the hosted login page.'),
          keyRefreshSeconds: seconds(
            60,
            'How often a running server picks up keys rotated by `passgate keys rotate`.',
          ),
          watchMetadata: z
            .boolean()
            .default(true)
            .describe('Reload `metadata/oidc/` when its files change (SIGHUP always reloads).'),
          backChannelLogout: z
            .strictObject({
              timeoutSeconds: z
                .number()
                .int()
                .min(1)
                .max(30)
                .default(3)
                .describe('Longest wait for a client to answer one Logout Token post.'),
              attempts: z
                .number()
                .int()
                .min(1)
                .max(5)
                .default(3)
                .describe(
                  'Tries per client (a timeout, a network error or a 5xx is tried again; a 4xx is not).',
                ),
            })
            .prefault({})
            .describe(
              'Back-Channel Logout to clients with a `backchannel_logout_uri`: sent in the background, never delaying the logout.',
            ),
        })
        .prefault({})
        .describe('OpenID Connect provider.'),
      mfa: z
        .strictObject({
          issuer: z
            .string()
            .min(1)
            .default('Passgate')
            .describe('Issuer shown by authenticator apps (otpauth:// URIs of enrolled tokens).'),
          totpWindow: z
            .number()
            .int()
            .min(0)
            .max(10)
            .default(1)
            .describe('TOTP: time steps accepted on either side of the expected one (after learned drift).'),
          hotpWindow: z
            .number()
            .int()
            .min(0)
            .max(98)
            .default(10)
            .describe('HOTP: counter values looked ahead (RFC 4226 section 7.4).'),
          resyncWindow: z
            .number()
            .int()
            .min(10)
            .max(100000)
            .default(1000)
            .describe(
              'Resynchronisation from two consecutive codes: HOTP counters, or TOTP steps either side, searched.',
            ),
          lockAfterFailures: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(10)
            .describe('Consecutive failures that lock a token (NIST SP 800-63B: at most 100).'),
          lockSeconds: seconds(
            1800,
            'How long a locked token stays locked, unless an administrator unlocks it.',
          ),
          delayAfterFailures: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(3)
            .describe('Consecutive failures after which each further attempt must wait, doubling from 1 s.'),
          maxDelaySeconds: seconds(60, 'Longest wait between attempts imposed by the growing delay.'),
          userMaxFailures: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(20)
            .describe(
              'Failed second-factor attempts per user (all tokens together) inside userWindowSeconds.',
            ),
          userWindowSeconds: seconds(900, 'Window of userMaxFailures.'),
          directoryChannels: z
            .array(channelSchema)
            .default(['sms', 'voice'])
            .describe(
              'Passcode channels every user has through the directory: a mobile number gives sms and voice, an e-mail address email. ' +
                'E-mail is off by default: a mailbox behind the same password is no second factor.',
            ),
          challengeTtlSeconds: seconds(600, 'How long a second-factor step of a sign-in may take.'),
          passcodeLimit: z
            .strictObject({
              maxPerUser: z
                .number()
                .int()
                .min(1)
                .max(1000)
                .default(10)
                .describe(
                  'Passcodes sent to one user inside windowSeconds, all sign-ins, resends and channels together; ' +
                    'the next one is refused (page code MFA_PASSCODE_LIMIT, audited as passcode.send denied) until the oldest leaves the window.',
                ),
              windowSeconds: z
                .number()
                .int()
                .min(60)
                .max(3600)
                .default(600)
                .describe(
                  'Window of maxPerUser (at most an hour; `retention.passcodesMinutes` must cover it).',
                ),
            })
            .prefault({})
            .describe(
              "Abuse limit on sent passcodes per user across sign-ins (the Passcode Policy's resendAfterSeconds only spaces the resends of one sign-in).",
            ),
        })
        .prefault({})
        .describe('Second factors: OATH verification windows, throttling and locking.'),
      i18n: z
        .strictObject({
          defaultLanguage: z
            .string()
            .min(2)
            .default('en')
            .describe('Language used when nothing else decides.'),
        })
        .prefault({})
        .describe('Languages of the end-user pages.'),
      dispatch: z
        .strictObject({
          gateways: z
            .array(plugins.gateway)
            .optional()
            .describe(
              'Gateways that deliver passcodes. Default: the outbox in development, none in production.',
            ),
        })
        .prefault({})
        .describe('Delivery of passcodes by SMS, voice and e-mail.'),
      geo: geoSchema,
      saml: samlSchema,
      radius: radiusSchema,
      activesync: activesyncSchema,
      selfservice: selfserviceSchema,
      admin: adminSchema,
      reset: resetSchema,
      sessions: sessionsSchema,
      licences: licencesSchema,
      retention: retentionSchema,
      attempts: attemptsSchema,
      policies: z
        .strictObject({
          requireMfa: z
            .boolean()
            .default(false)
            .describe('Make a second factor mandatory for everyone, even users without one enrolled.'),
          mfaSessionMinutes,
          learning: learningSchema,
          token: z
            .record(policyName, plugins.policies.token)
            .default({})
            .describe('Token Policies by name, stored at start when the database has none (seed).'),
          passcode: z
            .record(policyName, plugins.policies.passcode)
            .default({})
            .describe(
              'Passcode Policies by name (the one named `default` applies unless a rule says otherwise); seed.',
            ),
          loadBalancing: z
            .record(policyName, plugins.policies.loadBalancing)
            .default({})
            .describe('Load Balancing Policies by name; seed.'),
          device: z
            .record(policyName, plugins.policies.device)
            .default({})
            .describe(
              'Device Policies by name (the one named `default` applies: the ActiveSync allowance, off by default); seed.',
            ),
          authentication: z
            .record(policyName, plugins.policies.authentication)
            .default({})
            .describe(
              'Authentication Policy rules by name, in evaluation order (the first match decides); seed.',
            ),
        })
        .prefault({})
        .describe('Authentication policy defaults, and policies seeded into the database at first start.'),
    })
    .describe('Passgate configuration file (YAML).');
}

/** The schema of the configuration over the plug-in schemas `P` (config/'s own view by default). */
export type ConfigSchema<P extends PluginSchemas = PluginSchemas> = ReturnType<typeof configSchemaWith<P>>;
/** The configuration file as written (before defaults). */
export type ConfigInput<P extends PluginSchemas = PluginSchemas> = z.input<ConfigSchema<P>>;
/** The configuration after validation and defaults. */
export type ParsedConfig<P extends PluginSchemas = PluginSchemas> = z.output<ConfigSchema<P>>;
