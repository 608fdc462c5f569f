import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/server/config.js';
import { composeCore } from '../../src/server/core.js';
import { openDatabase } from '../../src/store/database.js';
import { oathToken } from '../../src/tokens/enrol.js';
import { hotpCode } from '../../src/tokens/oath.js';
import { login, type Target } from '../flows.js';
import type { VirtualUser } from '../load.js';
import type { BenchUser, Scenario, ServerSetup } from '../scenarios.js';
import { createUsers } from '../server.js';
import { BENCH_SP_FILES, certificateFromMetadata, samlSignIn, verifySamlResponse } from './saml.js';

/** The peers' figures were taken with cheap password hashes: the journeys use the same low cost. */
const JOURNEY_SCRYPT_COST = 4;
/** What the OIDC journeys ask for: the peer's script asks for the same (no refresh token). */
const JOURNEY_SCOPE = 'openid profile email';

/** The user with an HOTP token that shadows a bench user (same password), one per virtual user. */
export const otpUsername = (user: BenchUser) => `${user.username}-otp`;

/** The HOTP secret of an OTP user, derived from its name so the bench needs no state between set-up and load. */
export const hotpSecret = (username: string) =>
  createHash('sha256').update(`passgate bench hotp ${username}`).digest().subarray(0, 20);

/** Codes of one HOTP token in order, from counter 0 (the token is new at every server start). */
export function hotpSequence(username: string): () => string {
  const secret = hotpSecret(username);
  let counter = 0;
  return () => hotpCode(secret, counter++, { algorithm: 'SHA1', digits: 6 });
}

/** OIDC code flow and token exchange through the hosted login, password only. */
export const oidcPasswordJourney: Scenario = {
  id: 'journey-oidc-password',
  title: 'journey: OIDC code flow + token exchange through the hosted login, password only (scryptCost 4)',
  scryptCost: JOURNEY_SCRYPT_COST,
  kind: 'login',
  prepare: async (target, users, count) =>
    Array.from({ length: count }, (_, i) => {
      const user = users[i % users.length]!;
      return {
        op: async (steps) => {
          await login(target, user.username, user.password, steps, { scope: JOURNEY_SCOPE });
        },
      };
    }),
};

/** The same with an HOTP second factor: one user and token per virtual user, so codes never collide. */
export const oidcOtpJourney: Scenario = {
  id: 'journey-oidc-otp',
  title: 'journey: OIDC code flow + token exchange, password then an HOTP code (one user per virtual user)',
  scryptCost: JOURNEY_SCRYPT_COST,
  kind: 'login',
  beforeStart: (setup) => enrolHotpUsers(setup),
  prepare: async (target, users, count) =>
    Array.from({ length: count }, (_, i) => {
      const user = users[i % users.length]!;
      const nextCode = hotpSequence(otpUsername(user));
      return {
        op: async (steps) => {
          await login(target, otpUsername(user), user.password, steps, { scope: JOURNEY_SCOPE, nextCode });
        },
      };
    }),
};

/** SAML SP-initiated sign-in, Response and Assertion signed (RSA-2048), verified by node-saml. */
export const samlJourney: Scenario = {
  id: 'journey-saml',
  title:
    'journey: SAML SP-initiated, Redirect AuthnRequest -> password page -> POST Response, Response and Assertion signed (RSA-2048)',
  scryptCost: JOURNEY_SCRYPT_COST,
  kind: 'login',
  beforeStart: async ({ metadataDir }) => {
    mkdirSync(path.join(metadataDir, 'saml'), { recursive: true });
    for (const [name, text] of Object.entries(BENCH_SP_FILES))
      writeFileSync(path.join(metadataDir, 'saml', name), text);
  },
  prepare: async (target, users, count) => {
    const idp = passgateSamlIdp(target);
    const checked = { issuer: idp.issuer, certificatePem: await certificateFromMetadata(idp.issuer) };
    return Array.from({ length: count }, (_, i): VirtualUser => {
      const user = users[i % users.length]!;
      // Each virtual user's first Response is verified in full (signatures, audience, times):
      // the run cannot be measuring an error page; the rest get the cheap check of samlSignIn.
      let verified = false;
      return {
        op: async (steps) => {
          const xml = await samlSignIn(idp, user.username, user.password, steps);
          if (!verified) await verifySamlResponse(xml, checked);
          verified = true;
        },
      };
    });
  },
};

/** Passgate's SAML IdP at the server's public URL. */
export function passgateSamlIdp(target: Target) {
  return { ssoUrl: `${target.baseUrl}/saml/sso`, issuer: `${target.baseUrl}/saml/metadata` };
}

/** Creates the OTP shadow users (same passwords) with a fresh HOTP token each, before the server starts. */
async function enrolHotpUsers({ configFile, env, users }: ServerSetup): Promise<void> {
  const shadows = users.map((u) => ({ username: otpUsername(u), password: u.password }));
  await createUsers(configFile, env, shadows);
  const config = loadConfig({ file: configFile, env });
  const database = await openDatabase(config.database.url, config.database);
  try {
    const core = composeCore(config, database, systemClock);
    const tokens = [];
    for (const { username } of shadows) {
      const user = (await core.users.findByUsername(username))!;
      if ((await core.tokens.listByUser(user.id)).length > 0) continue;
      tokens.push(
        oathToken({ userId: user.id, label: username, type: 'hotp', secret: hotpSecret(username) }),
      );
    }
    await core.tokens.createMany(tokens);
  } finally {
    await database.close();
  }
}
