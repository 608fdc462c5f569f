import { z } from 'zod';

/** What a sign-in does for a user without an MFA seat. */
export const WITHOUT_SEAT = ['deny', 'password-only', 'allow'] as const;

/** A rule that gives seats of a pool to the members of a directory group, at every AD sync. */
const seatRule = z.strictObject({
  pool: z.enum(['mfa', 'reset']).describe('The seat pool the rule gives seats of.'),
  group: z
    .string()
    .min(1)
    .describe(
      'Members of this group (its name, as in `groups` of a user; nested membership counts) get a seat.',
    ),
});

/**
 * Licences (issue 16): the signed licence file that bounds the MFA and password-reset seat pools,
 * the rules that allocate seats, and what a sign-in does for a user without an MFA seat.
 */
export const licencesSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The licence file (JSON, signed with Ed25519 by the vendor). Without one, both seat pools are unlimited. A file that is malformed, badly signed or for another customer stops the start.',
      ),
    publicKey: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The vendor's Ed25519 public key the licence file is verified with, offline: a PEM (SPKI) block or the 32 raw bytes in base64. Required with `file`.",
      ),
    customer: z
      .string()
      .min(1)
      .optional()
      .describe('The customer the licence must be issued to. Required with `file`.'),
    withoutSeat: z
      .enum(WITHOUT_SEAT)
      .optional()
      .describe(
        'What a sign-in does for a user without an MFA seat: `deny` refuses it, `password-only` skips the second factor a policy would ask for (an application that demands one is refused), `allow` lets the policy decide as if the user had a seat. Each such sign-in writes a `licence.without-seat` audit event. Unset: seats are not checked at sign-in.',
      ),
    rules: z
      .array(seatRule)
      .default([])
      .describe(
        'Seat allocation rules applied at every AD sync: each member of `group` gets a seat of `pool` (oldest users first while seats are free). Seats a rule gave are taken back when the user leaves the group; seats given by hand never.',
      ),
  })
  .prefault({})
  .superRefine((value, ctx) => {
    for (const key of ['publicKey', 'customer'] as const)
      if (value.file !== undefined && value[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `required when licences.file is set` });
  })
  .describe(
    'Licences: seat pools (MFA, password reset), the signed licence file, allocation rules; see docs/licences.md.',
  );

/** The `licences` settings after validation. */
export type LicencesConfig = z.output<typeof licencesSchema>;
