import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { PrivateJwk, SigningAlgorithm } from '../../../keys/signing-keys.js';

/** The event a Logout Token carries (OpenID Back-Channel Logout 1.0, section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How long a Logout Token is valid: it is delivered at once, so two minutes (as oidc-provider's). */
const LOGOUT_TOKEN_SECONDS = 120;

/** What a Logout Token says. */
export interface LogoutTokenClaims {
  issuer: string;
  clientId: string;
  /** The user (`sub` of the client's ID tokens). */
  subject: string;
  /** The `sid` the client's ID tokens carried. */
  sid: string | null;
  /** Epoch milliseconds. */
  now: number;
}

/**
 * Signs a Logout Token with the OIDC signing key of the client's ID-token algorithm: iss, aud,
 * iat, exp, jti, sub, sid and the back-channel logout event, typed `logout+jwt`, never a nonce
 * (section 2.4), so that no client can take it for an ID token.
 */
export async function signLogoutToken(
  claims: LogoutTokenClaims,
  key: PrivateJwk & { alg: SigningAlgorithm },
): Promise<string> {
  const iat = Math.floor(claims.now / 1000);
  const { key_ops: _ops, ...jwk } = key as PrivateJwk & { key_ops?: string[] };
  return new SignJWT({
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...(claims.sid ? { sid: claims.sid } : {}),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
    .setIssuer(claims.issuer)
    .setAudience(claims.clientId)
    .setSubject(claims.subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + LOGOUT_TOKEN_SECONDS)
    .setJti(randomUUID())
    .sign(await importJWK(jwk, key.alg));
}
