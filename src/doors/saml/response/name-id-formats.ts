/** The NameID formats Passgate issues, by their short names in SP files and config. */
export const NAME_ID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;

/** Short name of a NameID format. */
export type NameIdFormat = keyof typeof NAME_ID_FORMATS;

/**
 * The NameID source that is no user field: a pairwise id, the same for one user at one SP
 * whenever they sign in, different at every SP, and telling nothing about the user.
 */
export const PAIRWISE_ID = 'pairwiseId';
