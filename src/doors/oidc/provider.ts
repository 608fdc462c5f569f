import Provider, {
  type ClientMetadata,
  type Configuration,
  errors,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Config } from '../../config/load.js';
import type { PrivateJwk } from '../../keys/signing-keys.js';
import type { BrowserSessions } from '../../login/sessions.js';
import type { Logger } from '../../observability/logger.js';
import type { CommitGroup } from '../../store/commit-group.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import type { StagedWrites } from '../../store/staged-writes.js';
import type { PageRenderer } from '../../web/render.js';
import type { AdapterFactory } from './adapter.js';
import { answerAfterWrites } from './answer-after-writes.js';
import { ACR_MFA, ACR_PASSWORD, REQUIRE_MFA, stepUpCheck } from './assurance.js';
import { clientMetadata } from './client-metadata.js';
import { cookieSigner } from './cookie-signer.js';
import {
  LOGOUT_DISCOVERY,
  LOGOUT_METADATA,
  logoutMetadataProblem,
  takesLogout,
} from './logout/client-logout-metadata.js';
import { pinToPublicUrl } from './public-origin.js';
import { skipProviderRequestContext } from './request-context.js';
import { followSessionInProvider, sessionBindingPrompt, ssoOutcome } from './session-binding.js';
import { EXTERNAL_SIGNING_ACK, providerSigningKeys } from './signing.js';
import { answerUnavailable, inOidcTerms } from './unavailable.js';

/** Everything the OpenID Connect door is built from. */
export interface OidcProviderOptions {
  issuer: string;
  config: Config['oidc'];
  adapter: AdapterFactory;
  /** The adapter's writes that do not wait for their commit: every answer waits for them. */
  staged?: StagedWrites;
  /** The store's group commit (the adapter's, for Passgate's own writes of oidc-provider's exchanges). */
  commits?: CommitGroup;
  clients: ClientMetadata[];
  jwks: PrivateJwk[];
  /** Cookie signing keys, newest first. */
  cookieKeys: Buffer[];
  /** Whether X-Forwarded-For may be believed (the web layer strips it from untrusted peers). */
  behindProxy: boolean;
  /** Whether cookies carry the Secure flag (the public URL is https), decided once for every site. */
  secureCookies: boolean;
  /** Production mode: the clients' logout URIs must be https. */
  production: boolean;
  users: UsersRepository;
  render: PageRenderer;
  /** The browser's single sign-on session, to which oidc-provider's is bound (step-up, reuse). */
  sessions: BrowserSessions;
  logger: Logger;
}

/** Path prefix of every oidc-provider endpoint except discovery. */
export const OIDC_PREFIX = '/oidc';

/** True for request paths that belong to oidc-provider. */
export function isOidcPath(path: string): boolean {
  return (
    path === '/.well-known/openid-configuration' || path === OIDC_PREFIX || path.startsWith(`${OIDC_PREFIX}/`)
  );
}

/** oidc-provider's endpoints that only clients call (token, introspection, revocation): no browser state. */
const MACHINE_PATHS = new Set(
  ['/token', '/token/introspection', '/token/revocation'].map((path) => `${OIDC_PREFIX}${path}`),
);

/** True for the request paths of oidc-provider that clients call server to server. */
export function isOidcMachinePath(path: string): boolean {
  return MACHINE_PATHS.has(path);
}

/** The user behind an account while they may hold tokens: neither disabled nor removed from the directory. */
async function activeUser(users: UsersRepository, id: string) {
  const user = await inOidcTerms(() => users.findById(id));
  return user && !user.disabled && user.removedAt === null ? user : undefined;
}

/**
 * Builds the oidc-provider instance: the OpenID Connect door. It only translates between the
 * protocol and Passgate: sign-in happens on the hosted login pages, users come from the store.
 */
export function createOidcProvider(options: OidcProviderOptions): Provider {
  skipProviderRequestContext();
  const { config, users, render } = options;
  const prompts = interactionPolicy.base();
  prompts.get('login')!.checks.add(stepUpCheck(ssoOutcome));
  const loadExistingGrant = async (ctx: KoaContextWithOIDC) => {
    const { client, session, params } = ctx.oidc;
    if (!client || !session?.accountId) return undefined;
    const grantId = session.grantIdFor(client.clientId);
    const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    const grant =
      existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope(String(params?.scope ?? 'openid'));
    await grant.save();
    return grant;
  };

  const findAccount = async (_ctx: KoaContextWithOIDC, sub: string) => {
    const user = await activeUser(users, sub);
    if (!user) return undefined;
    return {
      accountId: user.id,
      claims: async () => ({
        sub: user.id,
        name: user.displayName ?? user.username,
        preferred_username: user.username,
        ...(user.email ? { email: user.email } : {}),
        groups: user.groups,
      }),
    };
  };
  const binding = {
    sessions: options.sessions,
    findAccount,
    loadGrant: loadExistingGrant,
    logger: options.logger,
    render,
    ...(options.commits ? { commits: options.commits } : {}),
  };
  // Before the login prompt: one sign-in, one session (see session-binding.ts).
  prompts.add(sessionBindingPrompt(binding), 0);
  const configuration: Configuration = {
    adapter: options.adapter,
    clients: options.clients,
    // ID tokens are signed by node:crypto on the request's thread (see signing.ts).
    jwks: { keys: providerSigningKeys(options.jwks) as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: cookieSigner(options.cookieKeys),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    routes: {
      authorization: `${OIDC_PREFIX}/auth`,
      token: `${OIDC_PREFIX}/token`,
      userinfo: `${OIDC_PREFIX}/me`,
      jwks: `${OIDC_PREFIX}/jwks`,
      end_session: `${OIDC_PREFIX}/session/end`,
      revocation: `${OIDC_PREFIX}/token/revocation`,
      introspection: `${OIDC_PREFIX}/token/introspection`,
      pushed_authorization_request: `${OIDC_PREFIX}/request`,
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: {
      acr: null,
      sid: null,
      iss: null,
      // How and when the user authenticated travel in every ID token (RFC 8176 amr).
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    // Enterprise relying parties expect the profile claims in the ID token itself.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: config.signingAlgorithm,
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
    },
    features: {
      devInteractions: { enabled: false },
      externalSigningSupport: { enabled: true, ack: EXTERNAL_SIGNING_ACK },
      clientCredentials: { enabled: true },
      // A client may introspect or revoke only the tokens issued to it; the tokens of a user
      // who may no longer sign in are inactive, as userinfo and refresh already treat them.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          token.clientId === client.clientId &&
          (!('accountId' in token) || (await activeUser(users, token.accountId)) !== undefined),
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = await render(ctx.req, 'login/logout', { form });
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = await render(ctx.req, 'login/logged-out', {});
        },
      },
    },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      ClientCredentials: config.accessTokenTtlSeconds,
      AuthorizationCode: config.authorizationCodeTtlSeconds,
      IdToken: config.idTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
      Interaction: config.interactionTtlSeconds,
      Session: config.sessionTtlSeconds,
      Grant: config.refreshTokenTtlSeconds,
    },
    interactions: {
      policy: prompts,
      url: (_ctx, interaction) => `/login/${interaction.uid}`,
    },
    acrValues: [ACR_PASSWORD, ACR_MFA],
    // `require_mfa: true` in a client file: that application always gets a second factor. The
    // logout URIs are Passgate's (src/doors/oidc/logout/): it tells clients whichever door ends the session.
    extraClientMetadata: {
      properties: [REQUIRE_MFA, ...LOGOUT_METADATA],
      validator: (_ctx, key, value) => {
        if (key === REQUIRE_MFA && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${REQUIRE_MFA} must be true or false`);
        }
        const problem = logoutMetadataProblem(key, value, options.production);
        if (problem) throw new errors.InvalidClientMetadata(problem);
      },
    },
    discovery: LOGOUT_DISCOVERY,
    // Clients come from the administrator's metadata folder: they are trusted first parties,
    // so consent is implied and recorded as a grant without asking the user.
    loadExistingGrant,
    // Clients allowed the refresh grant get a refresh token. Without offline_access (which OIDC
    // Core grants only with prompt=consent) it expires with the Passgate session (expiresWithSession).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates the token, so a stolen and replayed one is detected (and the grant revoked).
    rotateRefreshToken: () => true,
    findAccount,
    renderError: async (ctx, out, error) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      ctx.status = status;
      if (status === 503) ctx.set('Retry-After', '5');
      ctx.type = 'html';
      ctx.body = await render(ctx.req, 'error', {
        status,
        code: out.error,
        description: status < 500 ? out.error_description : undefined,
      });
    },
  };
  const provider = new Provider(options.issuer, configuration);
  // The ID tokens of a client that takes logout carry `sid`, which its Logout Tokens and front-channel
  // URIs name (oidc-provider asks only of its own, here disabled, back-channel feature).
  Object.defineProperty(provider.Client.prototype, 'includeSid', {
    value(this: { metadata(): ClientMetadata }) {
      return takesLogout(clientMetadata(this));
    },
  });
  provider.proxy = options.behindProxy;
  provider.use(answerUnavailable(render));
  // Outside the binding's follow-up, so that the answer waits for its write too.
  if (options.staged) provider.use(answerAfterWrites(options.staged));
  provider.use(followSessionInProvider(binding));
  pinToPublicUrl(provider, options.issuer, options.secureCookies);
  return provider;
}
