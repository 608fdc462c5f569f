/** The NameID formats Passgate issues, by their short names in SP files and config. */
export const NAME_ID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;

/** Short name of a NameID format. */
export type NameIdFormat = keyof typeof NAME_ID_FORMATS;

/** AuthnContextClassRef of a sign-in with a second factor (Entra honours it with acceptIfMfaDoneByFederatedIdp). */
export const AUTHN_CONTEXT_MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
/** AuthnContextClassRef of a sign-in with the password alone, over TLS. */
export const AUTHN_CONTEXT_PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
