import { z } from 'zod';
import { TOKEN_TYPES } from '../tokens/registry.js';
import type { TokenTypeSpec } from '../tokens/token-type.js';

/** Kind under which Token Policies are stored. */
export const TOKEN_POLICY_KIND = 'token';

/** What every Token Policy has, whatever its type. */
const common = {
  displayName: z.string().min(1).max(100).describe('Name users and administrators see.'),
  selfEnrol: z.boolean().default(false).describe('Users may pick this profile on the self-service site.'),
  hardware: z
    .boolean()
    .default(false)
    .describe('A profile for hardware tokens (imported, never enrolled by users).'),
};

/**
 * The Token Policy schema over a list of token types: one variant per type that has
 * `policySettings`, holding the common fields and that type's settings (with their defaults).
 */
export function tokenPolicySchemaFor(types: readonly TokenTypeSpec[]) {
  const variants = types.flatMap((type) =>
    type.policySettings
      ? [
          z.strictObject({
            displayName: common.displayName,
            type: z.literal(type.info.type).describe('Token type.'),
            ...type.policySettings.shape,
            selfEnrol: common.selfEnrol,
            hardware: common.hardware,
          }),
        ]
      : [],
  );
  const names = variants.map((variant) => JSON.stringify(variant.shape.type.value)).join('|');
  return z.discriminatedUnion('type', variants as [(typeof variants)[number], ...typeof variants], {
    error: (issue) =>
      issue.code === 'invalid_union' ? `Invalid option: expected one of ${names}` : undefined,
  });
}

/**
 * A Token Policy: an administrator's token profile ("Microsoft Authenticator", "Hardware token,
 * 60 s, 8 digits"), used for self-enrolment and to describe imported tokens. Its `type` is one of
 * the registry's types that have settings (`policySettings`).
 */
export const tokenPolicySchema = tokenPolicySchemaFor(TOKEN_TYPES);

/** A validated Token Policy document: the common fields, and its type's settings. */
export interface TokenPolicy {
  displayName: string;
  type: string;
  selfEnrol: boolean;
  hardware: boolean;
  /** The type's own settings (`policySettings`), by name. */
  [setting: string]: unknown;
}
