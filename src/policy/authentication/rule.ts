import { z } from 'zod';
import { TOKEN_TYPES, typeNames } from '../../tokens/registry.js';
import { CONDITIONS } from './conditions/registry.js';

/** Kind under which Authentication Policy rules are stored; their order is the evaluation order. */
export const AUTHENTICATION_KIND = 'authentication';

const policyName = z.string().regex(/^[\w.-]{1,64}$/, 'expected the name of a policy');

/** Conditions of a rule: all of those given must hold (a list matches when any member does). */
const conditionsSchema = z
  .strictObject(Object.fromEntries(CONDITIONS.map((c) => [c.key, (c.schema as z.ZodType).optional()])))
  .describe('Conditions, all of which must hold.');

/** A method is a token type of the registry. */
const methodType = z.enum(typeNames(TOKEN_TYPES));

/** What a matching rule decides. */
const outcomeSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('allow').describe('The password alone is enough.') }),
  z.strictObject({
    action: z.literal('mfa').describe('A second factor is required.'),
    methods: z
      .array(methodType)
      .min(1)
      .optional()
      .describe('Allowed methods in order of preference; default: every method the user has.'),
    passcodePolicy: policyName.optional().describe('Passcode Policy for this login.'),
    loadBalancingPolicy: policyName.optional().describe('Load Balancing Policy for this login.'),
  }),
  z.strictObject({
    action: z.literal('deny').describe('The login is refused.'),
    message: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{2,63}$/, 'expected a message key such as ACCESS_DENIED_LOCATION')
      .default('ACCESS_DENIED')
      .describe('Key of the message the user sees (common:errors.<key>).'),
  }),
]);

/**
 * A reply attribute a rule asks the RADIUS door to send, as plain data: the door alone knows
 * how to code it and checks it against its dictionaries.
 */
const radiusReplyAttribute = z.strictObject({
  name: z.string().min(1).describe('Dictionary name, e.g. `Class`, `Filter-Id`, `Fortinet-Group-Name`.'),
  vendor: z.string().min(1).optional().describe('Vendor of a vendor-specific attribute, e.g. `Fortinet`.'),
  value: z.union([z.string().max(253), z.number()]),
});

/** What the RADIUS door adds to its Access-Accept when this rule decided the sign-in. */
const radiusOutcomeSchema = z
  .strictObject({
    replyAttributes: z
      .array(radiusReplyAttribute)
      .min(1)
      .max(50)
      .describe(
        "Sent in the Access-Accept; one of a client file's attributes with the same name is replaced.",
      ),
  })
  .describe('RADIUS door only (other doors ignore it): what an Access-Accept decided by this rule carries.');

/**
 * One rule of the Authentication Policy: conditions and an outcome. Rules are evaluated in their
 * stored order and the first that matches decides; when none does, the built-in default applies
 * (a second factor for users who have one, or for everyone with `policies.requireMfa`).
 */
export const authenticationRuleSchema = z.strictObject({
  description: z.string().max(500).optional().describe('What the rule is for.'),
  enabled: z.boolean().default(true).describe('A disabled rule is kept but never matches.'),
  when: conditionsSchema.default({}),
  unless: conditionsSchema.optional().describe('The rule does not match when all of these hold.'),
  outcome: outcomeSchema,
  radius: radiusOutcomeSchema.optional(),
});

/** A validated rule document. */
export type AuthenticationRule = z.output<typeof authenticationRuleSchema>;
/** What a rule decides. */
export type RuleOutcome = AuthenticationRule['outcome'];
/** What a rule asks the RADIUS door to add to its Access-Accept. */
export type RadiusOutcome = z.output<typeof radiusOutcomeSchema>;
