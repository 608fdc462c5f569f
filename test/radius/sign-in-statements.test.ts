import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oathtool } from '../journey/support.js';
import { radclient, startRadiusTestServer } from '../support/radclient.js';
import type { TestServer } from '../support/server.js';
import { onRequestPath } from '../support/statements.js';
import { addTotpTestUser } from '../support/totp-user.js';

const SECRET = 'radius-statements-secret-0123';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_STATEMENTS_SECRET';
const PASSWORD = 'correct horse battery';
const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of 12345678901234567890

/**
 * Statements one RADIUS sign-in may send to the store, at most: what it takes today, so that a
 * change that adds queries to the per-request path (the bench's PAP and PAP + code) fails here and
 * says which. PAP with a password the client sent before (remembered, radius.credentialCache.minutes):
 * the user re-read, the two throttle counters read (one statement), the policy version (asked at
 * most once a second, so under load most requests skip it), the user's tokens, and the
 * `login.password` and `login` events inserted by one statement (the request's write batch,
 * committed before the answer). The batched `sign_in_attempts` rows are written off the
 * request's path (see onRequestPath).
 */
const MAX_PAP = 5;
/**
 * PAP (remembered) + an inline TOTP code: the code's check on top — the user's second-factor
 * counter, the step used (the secret comes with the tokens, read once for the policy and the
 * check; the step written at once: a code is spent before the answer) — and its own audit event,
 * in the request's one insert.
 */
const MAX_PAP_TOTP = 7;
/** Of which writes: the audit events' insert, and for a code the step used. */
const MAX_PAP_WRITES = 1;
const MAX_PAP_TOTP_WRITES = 2;
const writes = (statements: string[]) => statements.filter((sql) => !/^select\b/i.test(sql));

describe('statements of one RADIUS sign-in', () => {
  let passgate: TestServer;
  let port: number;
  beforeAll(async () => {
    ({ passgate, port } = await startRadiusTestServer({
      name: 'vpn',
      secret: SECRET,
      secretVariable: SECRET_VARIABLE,
      mode: 'inline',
    }));
    await passgate.addUser('alice', PASSWORD);
    await addTotpTestUser(passgate, 'tina', PASSWORD);
  });
  afterAll(async () => passgate?.close());

  /** The statements the server ran while answering one Access-Request. */
  const counted = async (userName: string, password: string) => {
    const statements: string[] = [];
    const stop = passgate.core.database.observeStatements((sql) => {
      if (onRequestPath(sql)) statements.push(sql);
    });
    try {
      const reply = await radclient(
        { 'User-Name': userName, 'User-Password': password },
        { server: `127.0.0.1:${port}`, secret: SECRET },
      );
      expect(reply.code, reply.output).toBe('Access-Accept');
      return statements;
    } finally {
      stop();
    }
  };

  it(`answers PAP with at most ${MAX_PAP} statements, ${MAX_PAP_WRITES} of them a write`, async () => {
    await counted('alice', PASSWORD); // the first one fills the caches
    const statements = await counted('alice', PASSWORD);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(MAX_PAP);
    expect(writes(statements).length, statements.join('\n')).toBeLessThanOrEqual(MAX_PAP_WRITES);
  });

  it(`answers PAP with an inline TOTP code with at most ${MAX_PAP_TOTP} statements, ${MAX_PAP_TOTP_WRITES} of them writes`, async () => {
    // The password alone fills the caches (the code is missing: refused, the password remembered).
    const first = await radclient(
      { 'User-Name': 'tina', 'User-Password': PASSWORD },
      { server: `127.0.0.1:${port}`, secret: SECRET },
    );
    expect(first.code, first.output).toBe('Access-Reject');
    const statements = await counted('tina', `${PASSWORD},${oathtool(TOTP_SECRET)}`);
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(MAX_PAP_TOTP);
    expect(writes(statements).length, statements.join('\n')).toBeLessThanOrEqual(MAX_PAP_TOTP_WRITES);
    // The policy and the code's check look at the same read of the user's tokens.
    const tokenReads = statements.filter((sql) => /^select .* from "tokens"/i.test(sql));
    expect(tokenReads, statements.join('\n')).toHaveLength(1);
  });
});
