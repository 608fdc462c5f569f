/** A user as the rest of Passgate sees it (never with a password hash). */
export interface User {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  mobile: string | null;
  groups: string[];
  disabled: boolean;
  source: string;
  createdAt: number;
  updatedAt: number;
  /** Stable id in the external directory (AD: objectGUID as a UUID); null for local users. */
  externalId: string | null;
  dn: string | null;
  /** Mapped directory attributes (userPrincipalName, immutableId, preferredLanguage ...). */
  attributes: Record<string, unknown>;
  syncedAt: number | null;
  /** Set when the directory no longer has the user in scope; sign-ins stop, tokens are kept. */
  removedAt: number | null;
}

/** A user as an external directory describes them (AD sign-in or synchronisation). */
export interface DirectoryUser {
  externalId: string;
  username: string;
  dn: string;
  displayName: string | null;
  email: string | null;
  mobile: string | null;
  groups: string[];
  disabled: boolean;
  attributes: Record<string, unknown>;
}
