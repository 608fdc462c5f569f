import type { NewToken, Token, TokenStatus, TokensRepository } from '../store/repositories/tokens.js';
import { TokenErrors } from './errors.js';
import { OATH_ALGORITHMS, OATH_DIGITS, type OathAlgorithm } from './oath.js';
import { generateSecret, newTokenId, toBase32 } from './secrets.js';
import type { EnrolmentResult } from './token-type.js';

/** What an OATH token is enrolled with. Omitted secret: a new one is generated (software tokens). */
export interface OathEnrolment {
  userId: string;
  /** Account label in authenticator apps (the user name). */
  label: string;
  type: 'totp' | 'hotp';
  secret?: Uint8Array;
  algorithm?: OathAlgorithm;
  digits?: number;
  period?: number;
  counter?: number;
  hardware?: boolean;
  serial?: string | null;
  description?: string | null;
  status?: TokenStatus;
  tokenPolicy?: string | null;
}

/** Checks OATH settings, the same way for the CLI, imports, policies and self-service. */
export function validateOathSettings(settings: {
  algorithm?: string;
  digits?: number;
  period?: number;
  counter?: number;
}): void {
  const problems: string[] = [];
  if (settings.algorithm !== undefined && !OATH_ALGORITHMS.includes(settings.algorithm as OathAlgorithm)) {
    problems.push(`algorithm must be one of ${OATH_ALGORITHMS.join(', ')}`);
  }
  if (settings.digits !== undefined && !OATH_DIGITS.includes(settings.digits as 6))
    problems.push('digits must be 6, 7 or 8');
  if (
    settings.period !== undefined &&
    !(Number.isInteger(settings.period) && settings.period >= 1 && settings.period <= 3600)
  ) {
    problems.push('period must be a whole number of seconds from 1 to 3600');
  }
  if (settings.counter !== undefined && !(Number.isSafeInteger(settings.counter) && settings.counter >= 0)) {
    problems.push('counter must be a whole number from 0');
  }
  if (problems.length > 0) throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: problems.join('; ') });
}

/** The token row of an OATH enrolment, with defaults applied (for bulk imports too). */
export function oathToken(input: OathEnrolment & { id?: string; secret: Uint8Array }): NewToken {
  validateOathSettings(input);
  return {
    id: input.id ?? newTokenId(input.type),
    userId: input.userId,
    type: input.type,
    secret: input.secret,
    algorithm: input.algorithm ?? 'SHA1',
    digits: input.digits ?? 6,
    period: input.type === 'totp' ? (input.period ?? 30) : null,
    counter: input.type === 'hotp' ? (input.counter ?? 0) : 0,
    hardware: input.hardware ?? false,
    serial: input.serial ?? null,
    description: input.description ?? null,
    status: input.status ?? 'active',
    tokenPolicy: input.tokenPolicy ?? null,
  };
}

/**
 * Enrols an OATH token. A generated secret is returned once, as base32 and as an otpauth:// URI
 * for a QR code; a given secret (hardware, scripted import) is never returned.
 */
export async function enrolOath(
  tokens: TokensRepository,
  input: OathEnrolment & { id?: string },
  issuer: string,
): Promise<EnrolmentResult> {
  const generated = input.secret === undefined;
  const secret = input.secret ?? generateSecret();
  const token = await tokens.create(oathToken({ ...input, secret }));
  if (!generated) return { token };
  const secretBase32 = toBase32(secret);
  return { token, secretBase32, otpauthUri: otpauthUri(token, secretBase32, issuer, input.label) };
}

/**
 * The Key Uri Format (otpauth://) with every parameter spelled out, defaults included, so that
 * apps that assume other defaults still configure the token right.
 */
export function otpauthUri(token: Token, secretBase32: string, issuer: string, label: string): string {
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: token.algorithm ?? 'SHA1',
    digits: String(token.digits ?? 6),
    ...(token.type === 'totp' ? { period: String(token.period ?? 30) } : { counter: String(token.counter) }),
  });
  return `otpauth://${token.type}/${encodeURIComponent(issuer)}:${encodeURIComponent(label)}?${params}`;
}
