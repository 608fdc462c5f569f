import { z } from 'zod';
import { CHANNEL_NAMES, channelSchema } from '../config/channels.js';

/** Kind under which Passcode Policies are stored. */
export const PASSCODE_POLICY_KIND = 'passcode';

/** Message texts of one language; `{code}` and `{minutes}` are replaced. */
const templates = z.strictObject({
  sms: z.string().min(1).max(480).optional().describe('SMS text.'),
  voice: z.string().min(1).max(480).optional().describe('What a voice call says before the digits.'),
  emailSubject: z.string().min(1).max(200).optional().describe('E-mail subject.'),
  email: z.string().min(1).max(4000).optional().describe('E-mail body.'),
});

/**
 * A Passcode Policy: what sent passcodes look like, how long they live, which channels carry
 * them in which order, and optional message texts per language (the translated defaults from
 * `locales/<language>/messages.json` apply otherwise).
 */
export const passcodePolicySchema = z
  .strictObject({
    length: z.number().int().min(4).max(16).default(8).describe('Characters in a passcode.'),
    alphabet: z
      .string()
      .min(2)
      .max(64)
      .refine(
        (a) => new Set(a.toUpperCase()).size === a.length,
        'has a character twice (passcodes ignore case)',
      )
      .refine((a) => !/[\s-]/.test(a), 'may not contain spaces or dashes (they are ignored when typed)')
      .default('0123456789')
      .describe('Characters a passcode is drawn from.'),
    validitySeconds: z
      .number()
      .int()
      .min(30)
      .max(600)
      .default(300)
      .describe('How long a passcode is valid (at most 10 minutes).'),
    resendAfterSeconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(30)
      .describe(
        'Wait before another passcode may be sent within one sign-in (a resend, or another channel); a new sign-in is not held back by it.',
      ),
    channels: z
      .array(channelSchema)
      .min(1)
      .default([...CHANNEL_NAMES])
      .describe('Channels in order of preference; the first one the user can receive is used.'),
    templates: z.record(z.string().min(2), templates).default({}).describe('Message texts by language code.'),
  })
  .refine((p) => p.length * Math.log2(p.alphabet.length) >= 20, {
    message: 'a passcode must carry at least 20 bits of entropy: make it longer or the alphabet larger',
    path: ['length'],
  })
  .refine(
    (p) =>
      Object.values(p.templates).every((t) =>
        [t.sms, t.email].every((text) => !text || text.includes('{code}')),
      ),
    {
      message: 'SMS and e-mail texts must contain {code}',
      path: ['templates'],
    },
  );

/** A validated Passcode Policy document. */
export type PasscodePolicy = z.output<typeof passcodePolicySchema>;

/** The policy in force when none is stored. */
export const DEFAULT_PASSCODE_POLICY: PasscodePolicy = passcodePolicySchema.parse({});
