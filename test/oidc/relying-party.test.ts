import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formAction, formField } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { discover, loginWithCode } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';

describe.each(BACKENDS)('a relying party signs in through Passgate (%s)', (backend) => {
  let passgate: TestServer;
  let config: client.Configuration;
  let aliceId: string;

  beforeAll(async () => {
    passgate = await startTestServer({ backend });
    const alice = await passgate.addUser('alice', 'correct horse battery', {
      displayName: 'Alice Liddell',
      email: 'alice@example.test',
      groups: ['staff', 'vpn-users'],
    });
    aliceId = alice.id;
    config = await discover(passgate.url);
  });
  afterAll(() => passgate?.close());

  it('publishes discovery metadata for code flow with PKCE', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(passgate.url);
    expect(metadata.authorization_endpoint).toBe(`${passgate.url}/oidc/auth`);
    expect(metadata.token_endpoint).toBe(`${passgate.url}/oidc/token`);
    expect(metadata.userinfo_endpoint).toBe(`${passgate.url}/oidc/me`);
    expect(metadata.end_session_endpoint).toBe(`${passgate.url}/oidc/session/end`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'RS256']),
    );
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'groups']),
    );
  });

  it('completes an authorization-code login and returns a valid ES256 ID token with the user claims', async () => {
    const { tokens } = await loginWithCode(config, 'alice', 'correct horse battery');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('ES256');
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(passgate.url);
    expect(claims.aud).toBe(TEST_CLIENT.client_id);
    expect(claims.sub).toBe(aliceId);
    expect(claims.name).toBe('Alice Liddell');
    expect(claims.email).toBe('alice@example.test');
    expect(claims.groups).toEqual(['staff', 'vpn-users']);
    expect(claims.amr).toEqual(['pwd']);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('accepts the user name case-insensitively and with surrounding spaces', async () => {
    const { tokens } = await loginWithCode(config, '  ALICE ', 'correct horse battery');
    expect(tokens.claims()!.sub).toBe(aliceId);
  });

  it('serves userinfo for the access token', async () => {
    const { tokens } = await loginWithCode(config, 'alice', 'correct horse battery');
    const info = await client.fetchUserInfo(config, tokens.access_token, aliceId);
    expect(info).toMatchObject({
      sub: aliceId,
      name: 'Alice Liddell',
      email: 'alice@example.test',
      groups: ['staff', 'vpn-users'],
    });
  });

  it('refreshes tokens, rotating the refresh token', async () => {
    const { tokens } = await loginWithCode(config, 'alice', 'correct horse battery');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()!.sub).toBe(aliceId);
    const info = await client.fetchUserInfo(config, refreshed.access_token, aliceId);
    expect(info.email).toBe('alice@example.test');
    // The previous refresh token was consumed by the rotation.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('issues client-credentials tokens', async () => {
    const tokens = await client.clientCredentialsGrant(config, {});
    expect(tokens.access_token).toBeTruthy();
    const introspection = await client.tokenIntrospection(config, tokens.access_token);
    expect(introspection.active).toBe(true);
    expect(introspection.client_id).toBe(TEST_CLIENT.client_id);
  });

  it('reuses the Passgate session for a second login without asking again', async () => {
    const { browser } = await loginWithCode(config, 'alice', 'correct horse battery');
    const second = await loginWithCode(config, 'nobody', 'not used', { browser });
    expect(second.tokens.claims()!.sub).toBe(aliceId);
  });

  it('logs out through the end-session endpoint and returns to the registered address', async () => {
    const { tokens, browser } = await loginWithCode(config, 'alice', 'correct horse battery');
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: TEST_CLIENT.post_logout_redirect_uris[0]!,
      state: 'bye',
    });
    const { last: confirm } = await browser.follow(endSession.toString());
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Do you want to sign out of Passgate?');
    const { location } = await browser.follow(
      formAction(confirm.body, confirm.url),
      { form: { xsrf: formField(confirm.body, 'xsrf') ?? '', logout: 'yes' } },
      (target) => target.startsWith(TEST_CLIENT.post_logout_redirect_uris[0]!),
    );
    expect(location).toBe(`${TEST_CLIENT.post_logout_redirect_uris[0]}?state=bye`);
    // The Passgate session is gone: the next authorization shows the login page again.
    const again = client.buildAuthorizationUrl(config, {
      redirect_uri: TEST_CLIENT.redirect_uris[0]!,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const { last } = await browser.follow(again.toString());
    expect(last.body).toContain('name="password"');
  });

  it('signs ID tokens with RS256 for a client that asks for it', async () => {
    const rs = await discover(passgate.url, TEST_CLIENT.client_id, TEST_CLIENT.client_secret, {
      id_token_signed_response_alg: 'RS256',
    });
    const browser = new Browser();
    // openid-client validates the alg against the client metadata it was given.
    await expect(loginWithCode(rs, 'alice', 'correct horse battery', { browser })).rejects.toThrow();
  });
});
