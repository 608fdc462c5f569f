import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../support/server.js';

const LATE = {
  client_id: 'late-app',
  client_name: 'An application registered while Passgate runs',
  redirect_uris: ['http://127.0.0.1:9999/late'],
  token_endpoint_auth_method: 'none',
};

describe('metadata/oidc and metadata/saml are reloaded when their files change (no SIGHUP)', () => {
  let passgate: TestServer;
  let folder: string;
  beforeAll(async () => {
    passgate = await startTestServer();
    folder = path.join(passgate.config.metadataDir, 'oidc');
  });
  afterAll(() => passgate?.close());

  /** Where an authorization request of the late client ends: the login page, or an error page. */
  const authorize = async (redirectUri = LATE.redirect_uris[0]!) => {
    const url = new URL(`${passgate.url}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: LATE.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location') ?? '';
    if (/^\/login\/[\w-]+$/.test(location)) return 'login';
    return /data-code="([^"]+)"/.exec(await response.text())?.[1] ?? `status ${response.status}`;
  };
  /** Polls until `check` gives `expected` (the watch waits for the last write, then reloads). */
  const eventually = async (check: () => Promise<string>, expected: string) => {
    let last = '';
    for (let i = 0; i < 50 && last !== expected; i++) {
      last = await check();
      if (last !== expected) await sleep(100);
    }
    return last;
  };

  it('accepts a client added, follows a changed redirect URI, and refuses a client removed', async () => {
    expect(await authorize()).toBe('invalid_client');

    writeFileSync(path.join(folder, 'late-app.yaml'), stringify(LATE));
    expect(await eventually(authorize, 'login')).toBe('login');

    const moved = 'http://127.0.0.1:9999/moved';
    writeFileSync(path.join(folder, 'late-app.yaml'), stringify({ ...LATE, redirect_uris: [moved] }));
    expect(await eventually(() => authorize(moved), 'login')).toBe('login');
    expect(await authorize()).toBe('invalid_redirect_uri');

    rmSync(path.join(folder, 'late-app.yaml'));
    expect(await eventually(authorize, 'invalid_client')).toBe('invalid_client');
    expect(
      passgate.logs.some((line) => line.includes('OIDC provider ready') && line.includes('late-app')),
    ).toBe(true);
  });

  it('registers a SAML service provider dropped into metadata/saml, and forgets it when removed', async () => {
    const saml = path.join(passgate.config.metadataDir, 'saml');
    const registered = async () =>
      (await passgate.server.services()!.doors.saml!.loaded()).registry.named('google')
        ? 'registered'
        : 'unknown';
    expect(await registered()).toBe('unknown');
    for (const file of ['google.xml', 'google.yaml'])
      copyFileSync(path.join(PACKAGE_ROOT, 'metadata', 'saml', file), path.join(saml, file));
    expect(await eventually(registered, 'registered')).toBe('registered');
    for (const file of ['google.xml', 'google.yaml']) rmSync(path.join(saml, file));
    expect(await eventually(registered, 'unknown')).toBe('unknown');
  });
});
