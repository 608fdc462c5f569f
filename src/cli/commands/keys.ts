import type { Command } from 'commander';
import { OIDC_ALGORITHMS, OIDC_KEY_PURPOSE } from '../../doors/oidc/keys.js';
import { SAML_ALGORITHMS, SAML_KEY_PURPOSE, samlCertifier } from '../../doors/saml/signing/signing-key.js';
import type { Certify, SigningAlgorithm } from '../../keys/signing-keys.js';
import type { Core } from '../../server/core.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** How keys of one purpose are made and how long a retired one stays published. */
interface Purpose {
  algorithms: readonly SigningAlgorithm[];
  retainMs(core: Core): number;
  certify?(core: Core): Certify;
}

const PURPOSES: Record<string, Purpose> = {
  [OIDC_KEY_PURPOSE]: {
    algorithms: OIDC_ALGORITHMS,
    retainMs: (core) => (core.config.oidc.idTokenTtlSeconds + 300) * 1000,
  },
  // A SAML assertion lives minutes; SPs that pinned the old certificate must be given the new one.
  [SAML_KEY_PURPOSE]: {
    algorithms: SAML_ALGORITHMS,
    retainMs: (core) => core.config.saml.assertionLifetimeSeconds * 1000,
    certify: (core) =>
      samlCertifier(
        core.config.server.publicUrl ?? `http://localhost:${core.config.server.port}`,
        core.config.saml.certificateValidityYears,
        core.clock,
      ),
  },
};

function purposeOf(name: string): Purpose {
  const purpose = PURPOSES[name];
  if (!purpose) throw new Error(`--purpose must be one of: ${Object.keys(PURPOSES).join(', ')}`);
  return purpose;
}

/** `passgate keys rotate|list`: signing keys. */
export function registerKeyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Manage signing keys');
  const globals = () => program.opts<GlobalOptions>();

  keys
    .command('rotate')
    .description(
      'Create new signing keys (OIDC by default; --purpose saml: the SAML key and its certificate); the old ones stop signing now and stay published until what they signed expires. ' +
        'Running servers pick the change up within oidc.keyRefreshSeconds.',
    )
    .option('--purpose <purpose>', 'oidc or saml', OIDC_KEY_PURPOSE)
    .action(async (options: { purpose: string }) => {
      const purpose = purposeOf(options.purpose);
      await withCore(globals(), async (core) => {
        const retainMs = purpose.retainMs(core);
        const { created, retired } = await core.keys.rotate(
          options.purpose,
          purpose.algorithms,
          retainMs,
          purpose.certify?.(core),
        );
        await core.audit.record({
          type: 'admin.keys.rotate',
          outcome: 'success',
          details: { purpose: options.purpose, created, retired, via: 'cli' },
        });
        say(io, `New signing keys: ${created.join(', ')}`);
        if (retired.length > 0) {
          say(
            io,
            `Retired (published until ${new Date(core.clock() + retainMs).toISOString()}): ${retired.join(', ')}`,
          );
        }
        if (options.purpose === SAML_KEY_PURPOSE) {
          say(io, 'Give the new certificate (GET /saml/metadata) to every SAML service provider.');
        }
      });
    });

  keys
    .command('list')
    .description('List signing keys (OIDC by default)')
    .option('--purpose <purpose>', 'oidc or saml', OIDC_KEY_PURPOSE)
    .action(async (options: { purpose: string }) => {
      purposeOf(options.purpose);
      await withCore(globals(), async (core) => {
        const now = core.clock();
        for (const key of await core.keys.list(options.purpose)) {
          const state =
            key.retiredAt === null
              ? 'current'
              : (key.publishUntil ?? 0) > now
                ? `retired, published until ${new Date(key.publishUntil!).toISOString()}`
                : 'retired, no longer published';
          say(io, `${key.alg.padEnd(6)} ${key.kid}  ${state}`);
        }
      });
    });
}
