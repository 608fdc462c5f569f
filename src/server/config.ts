import { type ConfigSources, type Config as LoadedConfig, loadConfigWith } from '../config/load.js';
import { configSchemaWith, type ConfigInput as InputOf, type PluginSchemas } from '../config/schema.js';
import { loadBalancingPolicySchema } from '../dispatch/load-balancing-policy.js';
import { gatewaySettings } from '../dispatch/registry.js';
import { authenticationRuleSchema } from '../policy/authentication/rule.js';
import { devicePolicySchema } from '../policy/device-policy.js';
import { passcodePolicySchema } from '../policy/passcode-policy.js';
import { tokenPolicySchema } from '../policy/token-policy.js';

/**
 * The plug-ins' own schemas the configuration embeds: every gateway type of the registry and the
 * document of each policy kind that `policies` seeds. config/ is the bottom layer and cannot import
 * them, so the composition root assembles the full schema here.
 */
const PLUGIN_SCHEMAS = {
  gateway: gatewaySettings,
  policies: {
    token: tokenPolicySchema,
    passcode: passcodePolicySchema,
    loadBalancing: loadBalancingPolicySchema,
    authentication: authenticationRuleSchema,
    device: devicePolicySchema,
  },
} satisfies PluginSchemas;

/** Schema of the YAML configuration file, with every default (declared in src/config/schema.ts). */
export const configSchema = configSchemaWith(PLUGIN_SCHEMAS);

/** The configuration file as written (before defaults), with the plug-ins' exact types. */
export type ConfigInput = InputOf<typeof PLUGIN_SCHEMAS>;

/** The validated configuration with every derived default, with the plug-ins' exact types. */
export type Config = LoadedConfig<typeof PLUGIN_SCHEMAS>;

/**
 * Reads, merges and validates Passgate's configuration. Wrong settings raise CONFIG_INVALID
 * whose message has one line per problem, each naming the key, ready to print.
 */
export function loadConfig(sources: ConfigSources<typeof PLUGIN_SCHEMAS> = {}): Config {
  return loadConfigWith(configSchema, sources);
}
