import { z } from 'zod';
import { OATH_ALGORITHMS, OATH_DIGITS } from '../tokens/oath.js';

/** Kind under which Token Policies are stored. */
export const TOKEN_POLICY_KIND = 'token';

/**
 * A Token Policy: an administrator's token profile ("Microsoft Authenticator", "Hardware token,
 * 60 s, 8 digits"), used for self-enrolment and to describe imported tokens.
 */
export const tokenPolicySchema = z.strictObject({
  displayName: z.string().min(1).max(100).describe('Name users and administrators see.'),
  type: z.enum(['totp', 'hotp']).describe('Token type.'),
  algorithm: z.enum(OATH_ALGORITHMS).default('SHA1').describe('HMAC algorithm.'),
  digits: z
    .number()
    .int()
    .refine((d) => (OATH_DIGITS as readonly number[]).includes(d), 'must be 6, 7 or 8')
    .default(6)
    .describe('Code length.'),
  period: z.number().int().min(1).max(3600).default(30).describe('TOTP time step in seconds.'),
  selfEnrol: z.boolean().default(false).describe('Users may pick this profile on the self-service site.'),
  hardware: z
    .boolean()
    .default(false)
    .describe('A profile for hardware tokens (imported, never enrolled by users).'),
});

/** A validated Token Policy document. */
export type TokenPolicy = z.output<typeof tokenPolicySchema>;
