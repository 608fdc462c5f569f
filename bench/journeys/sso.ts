import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { VirtualUser } from '../load.js';
import type { Scenario } from '../scenarios.js';
import { Browser } from './browser.js';
import { passgateSamlIdp } from './passgate.js';
import {
  BENCH_SP_FILES,
  BENCH_SP2,
  BENCH_SP2_FILES,
  certificateFromMetadata,
  samlSignIn,
  samlSsoHop,
  verifySamlResponse,
} from './saml.js';

/**
 * Hops answered before the measured run's warm-up starts: under load V8 is still optimizing the
 * hop's code for the first time after about 1,900 hops (docs/development.md, the hop's warm-up),
 * more than the 8 s of warm-up make on a loaded machine; the figure is meant to be the
 * steady state of a server that has run for a while.
 */
const WARM_HOPS = 2000;

/**
 * Single sign-on hops: each virtual user signs in once at the first bench SP (password, not
 * measured), then each operation is a second SP's AuthnRequest answered from the session — the
 * session looked up, the user and the Authentication Policy checked again, a signed Response
 * (the "signed response": the SP's metadata does not ask for the Assertion signed too).
 */
export const ssoHopJourney: Scenario = {
  id: 'journey-sso-hop',
  title:
    'single sign-on hop: a second SAML SP answered from the session (Redirect AuthnRequest -> auto-post page, Response signed as its metadata asks)',
  scryptCost: 4,
  kind: 'login',
  beforeStart: async ({ metadataDir }) => {
    mkdirSync(path.join(metadataDir, 'saml'), { recursive: true });
    for (const [name, text] of Object.entries({ ...BENCH_SP_FILES, ...BENCH_SP2_FILES }))
      writeFileSync(path.join(metadataDir, 'saml', name), text);
  },
  prepare: async (target, users, count) => {
    const idp = passgateSamlIdp(target);
    const checked = { issuer: idp.issuer, certificatePem: await certificateFromMetadata(idp.issuer) };
    const virtualUsers: VirtualUser[] = [];
    for (let i = 0; i < count; i++) {
      const user = users[i % users.length]!;
      const browser = new Browser();
      await samlSignIn(idp, user.username, user.password, {}, browser);
      // The first hop is verified in full as the second SP would (node-saml): the run measures answers.
      const first = await samlSsoHop(idp, browser);
      await verifySamlResponse(first, checked, BENCH_SP2);
      // The server's JIT warmed once, by the first virtual user (not measured).
      if (i === 0) for (let hop = 0; hop < WARM_HOPS; hop++) await samlSsoHop(idp, browser);
      virtualUsers.push({ op: async (steps) => void (await samlSsoHop(idp, browser, steps)) });
    }
    return virtualUsers;
  },
};
