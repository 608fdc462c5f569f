import type { SigningAlgorithm } from '../../keys/signing-keys.js';

/** Purpose under which OIDC signing keys are stored. */
export const OIDC_KEY_PURPOSE = 'oidc';
/** Every algorithm the provider can sign with; each has a current key. */
export const OIDC_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256'];
