import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { StoreErrors } from '../store/errors.js';
import type { Tables } from '../store/tables.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import { KeyErrors } from './errors.js';

/** Signature algorithms Passgate generates keys for. */
export type SigningAlgorithm = 'ES256' | 'RS256';

/** A private signing key as a JWK, ready for oidc-provider (or SAML later). */
export type PrivateJwk = JsonWebKey & { kid: string; alg: SigningAlgorithm; use: 'sig' };

/**
 * Issues an X.509 certificate for a new key pair, as base64 DER (the JWK `x5c` member): SAML
 * publishes its signing key as a certificate.
 */
export type Certify = (pair: { privateKey: KeyObject; publicKey: KeyObject }) => Promise<string>;

/** Summary of a key for listings; never the private half. */
export interface SigningKeyInfo {
  kid: string;
  alg: string;
  createdAt: number;
  /** When it started signing; null for a next key (published, not signing yet). */
  activatedAt: number | null;
  retiredAt: number | null;
  publishUntil: number | null;
}

/** How `activate` switches to the next key. */
export interface ActivationRules {
  /** How long the next key must have been published before it may sign, in ms. */
  overlapMs: number;
  /** How long the key it replaces stays published after the switch, in ms. */
  retainMs: number;
  /** Activates before the overlap is over (the caller warns). */
  force?: boolean;
}

/** What `activate` did. */
export interface Activation {
  activated: string[];
  retired: string[];
  /** When the overlap was (or will be) over; later than the activation when it was forced. */
  readyAt: number;
}

/**
 * Signing keys per purpose ("oidc", "saml"): generated on first start, private halves sealed with
 * the master key, rotated on demand. A retired key stops signing at once but stays published until
 * what it signed has expired. A purpose whose peers pin certificates (SAML) rolls over in two
 * steps: `publishNext` publishes a next key that does not sign yet, `activate` makes it current.
 */
export class SigningKeys {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** Creates a current key for every algorithm that lacks one. Safe to run from several processes. */
  async ensureCurrent(
    purpose: string,
    algorithms: readonly SigningAlgorithm[],
    certify?: Certify,
  ): Promise<string[]> {
    const created: string[] = [];
    for (const alg of algorithms) {
      const existing = await this.db
        .selectFrom('signing_keys')
        .select('kid')
        .where('purpose', '=', purpose)
        .where('alg', '=', alg)
        .where('retired_at', 'is', null)
        .where('activated_at', 'is not', null)
        .executeTakeFirst();
      if (existing) continue;
      try {
        created.push(await this.insertNew(this.db, purpose, alg, certify, this.clock()));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error; // another process won the race
      }
    }
    return created;
  }

  /**
   * Retires the current keys of `purpose` (published for `retainMs` more) and creates new ones,
   * in one transaction.
   */
  async rotate(
    purpose: string,
    algorithms: readonly SigningAlgorithm[],
    retainMs: number,
    certify?: Certify,
  ): Promise<{ created: string[]; retired: string[] }> {
    const now = this.clock();
    return this.db
      .transaction()
      .execute(async (trx) => {
        const retired = await retireCurrent(trx, purpose, now, retainMs);
        const created: string[] = [];
        for (const alg of algorithms) created.push(await this.insertNew(trx, purpose, alg, certify, now));
        return { created, retired };
      })
      .catch(concurrentChange);
  }

  /**
   * Publishes next keys of `purpose` that do not sign yet (current ones go on signing); with
   * `replace`, next keys already published are deleted first (they never signed anything), else
   * KEY_NEXT_PENDING.
   */
  async publishNext(
    purpose: string,
    algorithms: readonly SigningAlgorithm[],
    options: { certify?: Certify; replace?: boolean } = {},
  ): Promise<{ created: string[]; replaced: string[] }> {
    return this.db
      .transaction()
      .execute(async (trx) => {
        const pending = await nextKeys(trx, purpose);
        if (pending.length > 0 && !options.replace) {
          throw KeyErrors.KEY_NEXT_PENDING({
            detail: `a next ${purpose} key is already published (${pending.map((k) => k.kid).join(', ')}, since ${iso(pending[0]!.created_at)}): activate it, or replace it with --replace`,
          });
        }
        if (pending.length > 0) {
          await trx
            .deleteFrom('signing_keys')
            .where(
              'kid',
              'in',
              pending.map((k) => k.kid),
            )
            .where('activated_at', 'is', null)
            .execute();
        }
        const created: string[] = [];
        for (const alg of algorithms) {
          created.push(await this.insertNew(trx, purpose, alg, options.certify, null));
        }
        return { created, replaced: pending.map((k) => k.kid) };
      })
      .catch(concurrentChange);
  }

  /**
   * Makes the next keys of `purpose` current and retires the current ones (published for
   * `retainMs` more), once the next keys have been published for `overlapMs` (or `force`).
   */
  async activate(purpose: string, rules: ActivationRules): Promise<Activation> {
    const now = this.clock();
    return this.db
      .transaction()
      .execute(async (trx) => {
        const pending = await nextKeys(trx, purpose);
        if (pending.length === 0) {
          throw KeyErrors.KEY_NO_NEXT({
            detail: `there is no next ${purpose} key to activate: publish one first with \`passgate keys rotate --purpose ${purpose}\``,
          });
        }
        const readyAt = Math.max(...pending.map((k) => Number(k.created_at))) + rules.overlapMs;
        if (now < readyAt && !rules.force) {
          throw KeyErrors.KEY_OVERLAP_NOT_OVER({
            detail: `the next ${purpose} key was published at ${iso(readyAt - rules.overlapMs)}; service providers may not trust it yet. It can be activated from ${iso(readyAt)}, or now with --force`,
          });
        }
        const retired = await retireCurrent(trx, purpose, now, rules.retainMs);
        const activated = pending.map((k) => k.kid);
        const result = await trx
          .updateTable('signing_keys')
          .set({ activated_at: now })
          .where('kid', 'in', activated)
          .where('activated_at', 'is', null)
          .where('retired_at', 'is', null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== activated.length) throw concurrentActivation();
        return { activated, retired, readyAt };
      })
      .catch(concurrentChange);
  }

  /**
   * Private JWKs to configure a signer with: current keys first (they sign), then next keys, then
   * retired keys still inside their publication period (both verify only).
   */
  async privateJwks(purpose: string): Promise<PrivateJwk[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('purpose', '=', purpose)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', this.clock())]))
      .orderBy('created_at', 'desc')
      .execute();
    const current = rows.filter((r) => r.retired_at === null && r.activated_at !== null);
    const next = rows.filter((r) => r.retired_at === null && r.activated_at === null);
    const retired = rows.filter((r) => r.retired_at !== null);
    return [...current, ...next, ...retired].map((row) => {
      const jwk = JSON.parse(
        this.box.open(row.private_key, `signing-key:${row.kid}`).toString('utf8'),
      ) as PrivateJwk;
      return current.includes(row) ? jwk : { ...jwk, key_ops: ['verify'] };
    });
  }

  /** A fingerprint that changes whenever the published key set of `purpose` changes. */
  async version(purpose: string): Promise<string> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .select(['kid', 'activated_at', 'retired_at'])
      .where('purpose', '=', purpose)
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', this.clock())]))
      .orderBy('kid')
      .execute();
    return rows.map((r) => `${r.kid}:${r.activated_at ?? ''}:${r.retired_at ?? ''}`).join(',');
  }

  /** Every key of `purpose`, newest first, published or not. */
  async list(purpose: string): Promise<SigningKeyInfo[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .select(['kid', 'alg', 'created_at', 'activated_at', 'retired_at', 'publish_until'])
      .where('purpose', '=', purpose)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      createdAt: r.created_at,
      activatedAt: r.activated_at,
      retiredAt: r.retired_at,
      publishUntil: r.publish_until,
    }));
  }

  /** Deletes retired keys whose publication period is over. */
  async prune(): Promise<number> {
    const result = await this.db
      .deleteFrom('signing_keys')
      .where('retired_at', 'is not', null)
      .where('publish_until', '<=', this.clock())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async insertNew(
    db: Kysely<Tables>,
    purpose: string,
    alg: SigningAlgorithm,
    certify: Certify | undefined,
    activatedAt: number | null,
  ): Promise<string> {
    const { privateJwk, publicJwk, pair } = generate(alg);
    if (certify) {
      const x5c = [await certify(pair)];
      privateJwk.x5c = x5c;
      publicJwk.x5c = x5c;
    }
    await db
      .insertInto('signing_keys')
      .values({
        kid: privateJwk.kid,
        purpose,
        alg,
        private_key: this.box.seal(JSON.stringify(privateJwk), `signing-key:${privateJwk.kid}`),
        public_jwk: JSON.stringify(publicJwk),
        created_at: this.clock(),
        activated_at: activatedAt,
        retired_at: null,
        publish_until: null,
      })
      .execute();
    return privateJwk.kid;
  }
}

/** The next keys of `purpose` (published, not signing yet). */
function nextKeys(db: Kysely<Tables>, purpose: string) {
  return db
    .selectFrom('signing_keys')
    .select(['kid', 'created_at'])
    .where('purpose', '=', purpose)
    .where('retired_at', 'is', null)
    .where('activated_at', 'is', null)
    .execute();
}

/**
 * Retires the current keys of `purpose`, published `retainMs` more; fails when another command
 * retired them in the meantime (PostgreSQL re-checks the row after waiting for its lock).
 */
async function retireCurrent(db: Kysely<Tables>, purpose: string, now: number, retainMs: number) {
  const current = await db
    .selectFrom('signing_keys')
    .select('kid')
    .where('purpose', '=', purpose)
    .where('retired_at', 'is', null)
    .where('activated_at', 'is not', null)
    .execute();
  if (current.length === 0) return [];
  const kids = current.map((k) => k.kid);
  const result = await db
    .updateTable('signing_keys')
    .set({ retired_at: now, publish_until: now + retainMs })
    .where('kid', 'in', kids)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== kids.length) throw concurrentActivation();
  return kids;
}

function concurrentActivation() {
  return StoreErrors.CONFLICT({ detail: 'another key rotation ran at the same time; try again' });
}

/** A unique-index violation means another process rotated the same keys at the same time. */
function concurrentChange(error: unknown): never {
  if (!isUniqueViolation(error)) throw error;
  throw StoreErrors.CONFLICT({
    detail: 'another key rotation ran at the same time; try again',
    cause: error,
  });
}

function iso(epochMs: number | string): string {
  return new Date(Number(epochMs)).toISOString();
}

/**
 * A new key pair, generated straight as JWKs. Key objects are made from those afterwards, never
 * exported from what generateKeyPairSync returns: on Node 20 that export can deadlock the process
 * for good (it holds the key's mutex; a garbage collection inside it finalises the generation
 * job, which takes the same mutex). @types/node types only PEM and DER results, hence the cast.
 */
function generateJwkPair(alg: SigningAlgorithm): { publicKey: JsonWebKey; privateKey: JsonWebKey } {
  const jwk = { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as const;
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256', ...jwk } as never)
      : generateKeyPairSync('rsa', { modulusLength: 2048, ...jwk } as never);
  return pair as unknown as { publicKey: JsonWebKey; privateKey: JsonWebKey };
}

function generate(alg: SigningAlgorithm): {
  privateJwk: PrivateJwk;
  publicJwk: JsonWebKey;
  pair: { privateKey: KeyObject; publicKey: KeyObject };
} {
  const generated = generateJwkPair(alg);
  const publicJwk = generated.publicKey;
  const privateKey = createPrivateKey({ key: generated.privateKey, format: 'jwk' });
  const publicKey = createPublicKey({ key: publicJwk, format: 'jwk' });
  // RFC 7638 thumbprint as the key id.
  const members =
    alg === 'ES256'
      ? { crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }
      : { e: publicJwk.e, kty: publicJwk.kty, n: publicJwk.n };
  const kid = createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  const privateJwk = { ...generated.privateKey, kid, alg, use: 'sig' as const };
  return { privateJwk, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, pair: { privateKey, publicKey } };
}
