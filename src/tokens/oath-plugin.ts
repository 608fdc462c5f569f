import { z } from 'zod';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import { enrolOath, otpauthUri } from './enrol.js';
import { TokenErrors } from './errors.js';
import { OATH_ALGORITHMS, OATH_DIGITS, type OathAlgorithm } from './oath.js';
import { toBase32 } from './secrets.js';
import type { EnrolmentResult, EnrolRequest, ParameterInfo, Provisioning } from './token-type.js';

/** What a Token Policy may set for an OATH type (TOTP, HOTP). */
export const oathPolicySettings = z.strictObject({
  algorithm: z.enum(OATH_ALGORITHMS).default('SHA1').describe('HMAC algorithm.'),
  digits: z
    .number()
    .int()
    .refine((d) => (OATH_DIGITS as readonly number[]).includes(d), 'must be 6, 7 or 8')
    .default(6)
    .describe('Code length.'),
  period: z.number().int().min(1).max(3600).default(30).describe('TOTP time step in seconds.'),
});

/** Parameters every OATH type has, around the one of its moving factor (period, counter). */
export function oathParameters(movingFactor: ParameterInfo): ParameterInfo[] {
  return [
    { name: 'algorithm', description: 'HMAC algorithm', values: OATH_ALGORITHMS, default: 'SHA1' },
    { name: 'digits', description: 'Code length', values: OATH_DIGITS, default: 6 },
    movingFactor,
    { name: 'hardware', description: 'A hardware token (secret imported, not shown)', default: false },
  ];
}

/** The given settings among `names`, as numbers (the CLI gives strings). */
function numbers<K extends string>(
  settings: Readonly<Record<string, unknown>>,
  names: readonly K[],
): Partial<Record<K, number>> {
  const given = names.filter((name) => settings[name] !== undefined);
  return Object.fromEntries(given.map((name) => [name, Number(settings[name])])) as Partial<
    Record<K, number>
  >;
}

/**
 * Enrols a token of an OATH type from a request: settings as the CLI gives them (strings,
 * `sha-256` spelled any way) or as a Token Policy holds them. A hardware token needs its seed.
 */
export function enrolOathType(
  tokens: TokensRepository,
  type: 'totp' | 'hotp',
  request: EnrolRequest,
): Promise<EnrolmentResult> {
  const { settings } = request;
  const hardware = settings.hardware === true;
  if (hardware && !request.secret) {
    throw TokenErrors.TOKEN_INVALID_PARAMETERS({
      detail: '--hardware needs --secret: the seed the vendor supplied with the device (or use token import)',
    });
  }
  return enrolOath(
    tokens,
    {
      ...(request.id ? { id: request.id } : {}),
      userId: request.userId,
      label: request.label,
      type,
      ...(request.secret ? { secret: request.secret } : {}),
      ...(settings.algorithm === undefined
        ? {}
        : { algorithm: String(settings.algorithm).toUpperCase().replace('-', '') as OathAlgorithm }),
      ...numbers(settings, ['digits', 'period', 'counter'] as const),
      hardware,
      serial: request.serial ?? null,
      description: request.description ?? null,
      ...(request.status ? { status: request.status } : {}),
      tokenPolicy: request.tokenPolicy ?? null,
    },
    request.issuer,
  );
}

/** The otpauth:// URI and base32 secret of a stored OATH token (a pending self-service one). */
export async function oathProvisioning(
  tokens: TokensRepository,
  token: Token,
  label: string,
  issuer: string,
): Promise<Provisioning> {
  const secretBase32 = toBase32(await tokens.secretOf(token.id));
  return { uri: otpauthUri(token, secretBase32, issuer, label), secretBase32 };
}
