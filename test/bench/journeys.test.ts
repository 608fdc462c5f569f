import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverTarget, login, type Target } from '../../bench/flows.js';
import {
  hotpSequence,
  oidcOtpJourney,
  oidcPasswordJourney,
  otpUsername,
  passgateSamlIdp,
  samlJourney,
} from '../../bench/journeys/passgate.js';
import { certificateFromMetadata, samlSignIn, verifySamlResponse } from '../../bench/journeys/saml.js';
import { SCENARIOS } from '../../bench/scenarios.js';
import {
  type ChildServer,
  createUsers,
  serverEnv,
  startChildServer,
  writeServerConfig,
} from '../../bench/server.js';
import { JOURNEY_IDS } from '../../bench/settings.js';

/**
 * The journey benchmarks' code, run once per journey against a Passgate child process set up
 * exactly as `npm run bench` sets it up: no timing, the final result of each journey checked.
 */
describe('bench journeys', () => {
  let root: string;
  let server: ChildServer;
  let target: Target;
  const users = [1, 2].map((i) => ({
    username: `journey-${i}`,
    password: `journey password ${i} ${randomBytes(4).toString('hex')}`,
  }));

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-journeys-'));
    const options = {
      dir: root,
      name: 'journeys',
      databaseUrl: `sqlite:${path.join(root, 'data', 'passgate.db')}`,
      masterKey: randomBytes(32).toString('base64'),
      mode: 'production' as const,
      scryptCost: 4,
    };
    const configFile = writeServerConfig(options);
    const env = serverEnv(options, 0);
    await createUsers(configFile, env, users);
    const setup = { configFile, env, metadataDir: path.join(root, 'metadata'), users };
    for (const journey of [oidcPasswordJourney, oidcOtpJourney, samlJourney])
      await journey.beforeStart?.(setup);
    server = await startChildServer(options, configFile);
    target = await discoverTarget(server.url);
  });

  afterAll(async () => {
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('every journey is a scenario of npm run bench', () => {
    const ids = SCENARIOS.map((s) => s.id);
    for (const id of JOURNEY_IDS) expect(ids).toContain(id);
  });

  it('each journey scenario signs in once through its virtual user, with step times', async () => {
    for (const journey of [oidcPasswordJourney, oidcOtpJourney, samlJourney]) {
      const [virtualUser] = await journey.prepare(target, users, 1, 1);
      const steps: Record<string, number> = {};
      await virtualUser!.op(steps);
      expect(Object.keys(steps).length, journey.id).toBeGreaterThanOrEqual(2);
    }
  });

  it('the OIDC password journey ends with an ID token for the user, for the bench client', async () => {
    const tokens = await login(
      target,
      users[1]!.username,
      users[1]!.password,
      {},
      { scope: 'openid profile email' },
    );
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: target.issuer, aud: target.clientId });
    expect(claims.sub).toEqual(expect.any(String));
  });

  it('the second-factor journey passes the HOTP page and its ID token says so', async () => {
    const steps: Record<string, number> = {};
    const nextCode = hotpSequence(otpUsername(users[1]!));
    const tokens = await login(target, otpUsername(users[1]!), users[1]!.password, steps, {
      scope: 'openid profile email',
      nextCode,
    });
    expect(steps.secondFactor).toBeGreaterThan(0);
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString());
    expect(claims.aud).toBe(target.clientId);
    expect(claims.amr).toEqual(expect.arrayContaining(['mfa']));
    // The code just used, replayed, is refused: the journey cannot pass without a valid second factor.
    const replayed = hotpSequence(otpUsername(users[1]!));
    await expect(
      login(target, otpUsername(users[1]!), users[1]!.password, {}, { nextCode: replayed }),
    ).rejects.toThrow(/secondFactor/);
  });

  it('the SAML journey gets a Response that node-saml accepts, both signatures checked', async () => {
    const idp = passgateSamlIdp(target);
    const xml = await samlSignIn(idp, users[0]!.username, users[0]!.password);
    const certificatePem = await certificateFromMetadata(idp.issuer);
    const { nameID } = await verifySamlResponse(xml, { issuer: idp.issuer, certificatePem });
    expect(nameID).toEqual(expect.any(String));
    expect(xml).toMatch(/<(?:\w+:)?Assertion[^>]*>[\s\S]*<(?:\w+:)?Signature/);
    // The same Response with a changed assertion no longer verifies: the check can fail.
    const tampered = xml.replace(/NotOnOrAfter="/, 'NotOnOrAfter="2');
    await expect(verifySamlResponse(tampered, { issuer: idp.issuer, certificatePem })).rejects.toThrow();
  });
});
