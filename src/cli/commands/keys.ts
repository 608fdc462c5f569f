import type { Command } from 'commander';
import { OIDC_ALGORITHMS, OIDC_KEY_PURPOSE } from '../../doors/oidc/keys.js';
import { SAML_ALGORITHMS, SAML_KEY_PURPOSE, samlCertifier } from '../../doors/saml/signing/signing-key.js';
import type { Certify, SigningAlgorithm, SigningKeyInfo } from '../../keys/signing-keys.js';
import type { Core } from '../../server/core.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** How keys of one purpose are made, how long a retired one stays published, and how it rolls over. */
interface Purpose {
  algorithms: readonly SigningAlgorithm[];
  retainMs(core: Core): number;
  certify?(core: Core): Certify;
  /**
   * Present when peers pin the key (SAML certificates): `rotate` publishes a next key and
   * `activate` makes it sign; absent, `rotate` switches at once.
   */
  rollover?(core: Core): { overlapMs: number };
  /** What to tell the operator after `rotate` and `activate`. */
  advice?: { rotate: string; activate: string };
}

const HOUR_MS = 3_600_000;

const PURPOSES: Record<string, Purpose> = {
  [OIDC_KEY_PURPOSE]: {
    algorithms: OIDC_ALGORITHMS,
    retainMs: (core) => (core.config.oidc.idTokenTtlSeconds + 300) * 1000,
  },
  // SPs pin the SAML certificate: the next one is published for keyRollover.overlapDays first.
  [SAML_KEY_PURPOSE]: {
    algorithms: SAML_ALGORITHMS,
    retainMs: (core) => core.config.saml.keyRollover.retiredPublishHours * HOUR_MS,
    certify: (core) =>
      samlCertifier(
        core.config.server.publicUrl ?? `http://localhost:${core.config.server.port}`,
        core.config.saml.certificateValidityYears,
        core.clock,
      ),
    rollover: (core) => ({ overlapMs: core.config.saml.keyRollover.overlapDays * 24 * HOUR_MS }),
    advice: {
      rotate:
        'Give the next certificate to every SAML service provider now (Microsoft 365: NextSigningCertificate; see docs/saml.md).',
      activate:
        'Make the new certificate the only one at SPs that hold a single certificate (Microsoft 365: SigningCertificate).',
    },
  },
};

function purposeOf(name: string): Purpose {
  const purpose = PURPOSES[name];
  if (!purpose) throw new Error(`--purpose must be one of: ${Object.keys(PURPOSES).join(', ')}`);
  return purpose;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** `passgate keys rotate|activate|list`: signing keys. */
export function registerKeyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Manage signing keys');
  const globals = () => program.opts<GlobalOptions>();

  keys
    .command('rotate')
    .description(
      'OIDC (the default): create new signing keys; the old ones stop signing now and stay published until what they signed expires. ' +
        'SAML (--purpose saml): publish a next key and certificate in /saml/metadata beside the current one, which goes on signing until `keys activate`. ' +
        'Running servers pick the change up within oidc.keyRefreshSeconds.',
    )
    .option('--purpose <purpose>', 'oidc or saml', OIDC_KEY_PURPOSE)
    .option(
      '--replace',
      'SAML: replace a next key that was published but not activated (the overlap starts again)',
    )
    .action(async (options: { purpose: string; replace?: boolean }) => {
      const purpose = purposeOf(options.purpose);
      await withCore(globals(), async (core) => {
        if (purpose.rollover) {
          await publishNext(core, io, options.purpose, purpose, options.replace === true);
          return;
        }
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
          say(io, `Retired (published until ${iso(core.clock() + retainMs)}): ${retired.join(', ')}`);
        }
      });
    });

  keys
    .command('activate')
    .description(
      'SAML (--purpose saml): sign with the next key published by `keys rotate`, once it has been published for saml.keyRollover.overlapDays; ' +
        'the replaced certificate stays in the metadata for saml.keyRollover.retiredPublishHours. ' +
        'Running servers switch within oidc.keyRefreshSeconds.',
    )
    .option('--purpose <purpose>', 'saml (OIDC keys sign as soon as they are rotated)', SAML_KEY_PURPOSE)
    .option(
      '--force',
      'activate before the overlap is over (SPs that have not read the next certificate reject responses)',
    )
    .action(async (options: { purpose: string; force?: boolean }) => {
      const purpose = purposeOf(options.purpose);
      if (!purpose.rollover) {
        throw new Error(
          `${options.purpose} keys sign as soon as \`keys rotate\` makes them: nothing to activate`,
        );
      }
      const rollover = purpose.rollover;
      await withCore(globals(), async (core) => {
        const rules = { ...rollover(core), retainMs: purpose.retainMs(core), force: options.force === true };
        const { activated, retired, readyAt } = await core.keys.activate(options.purpose, rules);
        const now = core.clock();
        const early = now < readyAt;
        await core.audit.record({
          type: 'admin.keys.activate',
          outcome: 'success',
          details: { purpose: options.purpose, activated, retired, early, via: 'cli' },
        });
        if (early) {
          io.stderr.write(
            `passgate: warning: activated before the overlap ended (${iso(readyAt)}): service providers that have not taken the next certificate yet will reject responses\n`,
          );
        }
        say(io, `Signing with: ${activated.join(', ')}`);
        if (retired.length > 0) {
          say(io, `Replaced (published until ${iso(now + rules.retainMs)}): ${retired.join(', ')}`);
        }
        if (purpose.advice) say(io, purpose.advice.activate);
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
          say(io, `${key.alg.padEnd(6)} ${key.kid}  ${stateOf(key, now)}`);
        }
      });
    });
}

/** `keys rotate` of a purpose that rolls over in two steps: publish the next key, print its certificate. */
async function publishNext(core: Core, io: CliIo, name: string, purpose: Purpose, replace: boolean) {
  const { overlapMs } = purpose.rollover!(core);
  const { created, replaced } = await core.keys.publishNext(name, purpose.algorithms, {
    ...(purpose.certify ? { certify: purpose.certify(core) } : {}),
    replace,
  });
  await core.audit.record({
    type: 'admin.keys.rotate',
    outcome: 'success',
    details: { purpose: name, next: created, replaced, via: 'cli' },
  });
  say(io, `Next signing keys (published, not signing yet): ${created.join(', ')}`);
  if (replaced.length > 0) say(io, `Replaced next keys: ${replaced.join(', ')}`);
  for (const jwk of await core.keys.privateJwks(name)) {
    if (created.includes(jwk.kid) && Array.isArray(jwk.x5c)) say(io, `Certificate (base64): ${jwk.x5c[0]}`);
  }
  say(io, `Activate from ${iso(core.clock() + overlapMs)} with: passgate keys activate --purpose ${name}`);
  if (purpose.advice) say(io, purpose.advice.rotate);
}

function stateOf(key: SigningKeyInfo, now: number): string {
  if (key.retiredAt === null)
    return key.activatedAt === null ? 'next (published, not signing yet)' : 'current';
  return (key.publishUntil ?? 0) > now
    ? `retired, published until ${iso(key.publishUntil!)}`
    : 'retired, no longer published';
}
