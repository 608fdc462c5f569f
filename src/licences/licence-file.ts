import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';

/** The format tag of a licence file; a later format gets a new tag. */
export const LICENCE_FORMAT = 'passgate-licence-1';

/** What a licence grants: for whom, how many seats per pool, until when. */
export interface LicenceContent {
  customer: string;
  pools: { mfa: number; reset: number };
  /** Last day of validity (YYYY-MM-DD, UTC): the licence expires at the end of it. */
  expires: string;
  /** When the vendor issued it (YYYY-MM-DD), informative. */
  issued?: string;
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const seats = z.number().int().min(0);
const contentSchema = z.strictObject({
  customer: z.string().min(1),
  pools: z.strictObject({ mfa: seats, reset: seats }),
  expires: day,
  issued: day.optional(),
});
const fileSchema = z.strictObject({
  format: z.literal(LICENCE_FORMAT),
  payload: z.string().min(1),
  signature: z.string().min(1),
});

/** Why a licence file was refused: one sentence naming the problem, for the configuration error. */
export class LicenceFileProblem extends Error {}

/**
 * Reads the vendor's public key: a PEM (SPKI) block, or the 32 raw bytes in base64/base64url,
 * so that it fits on one line of the configuration.
 */
export function parsePublicKey(text: string): KeyObject {
  let key: KeyObject;
  try {
    if (text.includes('-----BEGIN')) key = createPublicKey(text);
    else {
      const raw = Buffer.from(text.trim(), 'base64');
      if (raw.length !== 32) throw new Error(`${raw.length} bytes instead of 32`);
      key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
        format: 'jwk',
      });
    }
  } catch (error) {
    throw new LicenceFileProblem(
      `licences.publicKey is not an Ed25519 public key (${(error as Error).message})`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new LicenceFileProblem(`licences.publicKey is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/**
 * Verifies a licence file's text against the vendor's key and the configured customer, and
 * returns what it grants. The signature covers the payload's exact bytes, so no re-encoding of
 * JSON can change what was signed.
 */
export function verifyLicence(text: string, publicKey: KeyObject, customer: string): LicenceContent {
  let file: z.infer<typeof fileSchema>;
  try {
    file = fileSchema.parse(JSON.parse(text));
  } catch {
    throw new LicenceFileProblem(
      `is not a Passgate licence file (JSON with format "${LICENCE_FORMAT}", payload, signature)`,
    );
  }
  const payload = Buffer.from(file.payload, 'base64url');
  if (!verify(null, payload, publicKey, Buffer.from(file.signature, 'base64url')))
    throw new LicenceFileProblem(
      'the signature does not verify against licences.publicKey (altered, or from another vendor key)',
    );
  const parsed = contentSchema.safeParse(safeJson(payload.toString('utf8')));
  if (!parsed.success)
    throw new LicenceFileProblem(`its signed content is malformed (${parsed.error.issues[0]?.message})`);
  if (parsed.data.customer !== customer)
    throw new LicenceFileProblem(
      `it is issued to "${parsed.data.customer}", not to licences.customer "${customer}"`,
    );
  return parsed.data;
}

/** Signs licence content with the vendor's private key (PEM): the text of a licence file. */
export function signLicence(content: LicenceContent, privateKeyPem: string): string {
  const checked = contentSchema.parse(content);
  const payload = Buffer.from(JSON.stringify(checked), 'utf8');
  const signature = sign(null, payload, createPrivateKey(privateKeyPem));
  const file = {
    format: LICENCE_FORMAT,
    payload: payload.toString('base64url'),
    signature: signature.toString('base64url'),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
