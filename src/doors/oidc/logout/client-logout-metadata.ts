import type { ClientMetadata } from 'oidc-provider';

/** Back-Channel Logout 1.0: where the client takes Logout Tokens, and whether it needs `sid` in them. */
export const BACKCHANNEL_LOGOUT_URI = 'backchannel_logout_uri';
/** Back-Channel Logout 1.0: the client needs `sid` in the Logout Token (Passgate always sends it). */
export const BACKCHANNEL_LOGOUT_SESSION_REQUIRED = 'backchannel_logout_session_required';
/** Front-Channel Logout 1.0: the page the browser loads in a hidden frame at logout. */
export const FRONTCHANNEL_LOGOUT_URI = 'frontchannel_logout_uri';
/** Front-Channel Logout 1.0: the client wants `iss` and `sid` on its front-channel logout URI. */
export const FRONTCHANNEL_LOGOUT_SESSION_REQUIRED = 'frontchannel_logout_session_required';

/** The client metadata keys of OIDC logout to clients, declared to oidc-provider as extra metadata. */
export const LOGOUT_METADATA = [
  BACKCHANNEL_LOGOUT_URI,
  BACKCHANNEL_LOGOUT_SESSION_REQUIRED,
  FRONTCHANNEL_LOGOUT_URI,
  FRONTCHANNEL_LOGOUT_SESSION_REQUIRED,
] as const;

/** The discovery fields that say Passgate does back- and front-channel logout with `sid`. */
export const LOGOUT_DISCOVERY = {
  backchannel_logout_supported: true,
  backchannel_logout_session_supported: true,
  frontchannel_logout_supported: true,
  frontchannel_logout_session_supported: true,
};

/**
 * Why a logout metadata value of a client file is wrong, or undefined: the URIs are absolute
 * http(s) URLs without a fragment (https only when `requireHttps`, i.e. in production), the
 * two flags booleans.
 */
export function logoutMetadataProblem(
  key: string,
  value: unknown,
  requireHttps: boolean,
): string | undefined {
  if (value === undefined) return undefined;
  if (key === BACKCHANNEL_LOGOUT_SESSION_REQUIRED || key === FRONTCHANNEL_LOGOUT_SESSION_REQUIRED)
    return typeof value === 'boolean' ? undefined : `${key} must be true or false`;
  if (key !== BACKCHANNEL_LOGOUT_URI && key !== FRONTCHANNEL_LOGOUT_URI) return undefined;
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return `${key} must be an absolute URL`;
  }
  if (typeof value !== 'string' || !['https:', 'http:'].includes(url.protocol))
    return `${key} must be an http(s) URL`;
  if (url.hash) return `${key} must not have a fragment`;
  if (requireHttps && url.protocol !== 'https:') return `${key} must be https in production`;
  return undefined;
}

/** The logout URIs of a client registration, when they are usable. */
export function logoutUrisOf(
  client: ClientMetadata,
  requireHttps: boolean,
): { backChannel?: string; frontChannel?: string; frontChannelSession: boolean } {
  const usable = (key: string) => {
    const value = (client as Record<string, unknown>)[key];
    return typeof value === 'string' && !logoutMetadataProblem(key, value, requireHttps) ? value : undefined;
  };
  const backChannel = usable(BACKCHANNEL_LOGOUT_URI);
  const frontChannel = usable(FRONTCHANNEL_LOGOUT_URI);
  return {
    ...(backChannel ? { backChannel } : {}),
    ...(frontChannel ? { frontChannel } : {}),
    frontChannelSession: (client as Record<string, unknown>)[FRONTCHANNEL_LOGOUT_SESSION_REQUIRED] === true,
  };
}

/** Whether a client registered a back- or front-channel logout URI (its ID tokens then carry `sid`). */
export function takesLogout(client: ClientMetadata): boolean {
  const record = client as Record<string, unknown>;
  return (
    typeof record[BACKCHANNEL_LOGOUT_URI] === 'string' || typeof record[FRONTCHANNEL_LOGOUT_URI] === 'string'
  );
}
