import { defineErrors } from '../errors.js';

/** Errors of configuration loading; the CLI turns them into exit code 2. */
export const ConfigErrors = defineErrors({
  CONFIG_INVALID: { status: 500, publicMessage: 'The configuration is invalid.' },
  CONFIG_UNREADABLE: { status: 500, publicMessage: 'The configuration file cannot be read.' },
});
