import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, type PolicyServer, startPolicyServer } from '../policy/support.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import { BACKENDS } from '../support/databases.js';
import { genericMetadata, registerSp } from './generic-sp.js';
import { authnRequest, redirectQuery } from './sso-support.js';
import { decode } from './support.js';

const SP = { entityId: 'https://sp.example.com/statements', acs: 'https://sp.example.com/statements/acs' };

/**
 * Statements one SP-initiated SAML sign-in (Redirect AuthnRequest, login page, password POST that
 * answers with the signed Response) may send to the store, at most, on either backend: a little
 * above what it takes today, so that a change that adds queries to the sign-in path fails here
 * and says which. The single sign-on session a sign-in starts costs three (its row, its
 * `session.start` audit event, the SP recorded in it for single logout).
 */
const MAX_STATEMENTS = 24;

/** The SQL of each exchange of one sign-in, in order. */
type StatementsByExchange = Array<{ exchange: string; statements: string[] }>;

const total = (byExchange: StatementsByExchange) =>
  byExchange.reduce((n, { statements }) => n + statements.length, 0);

function describeStatements(byExchange: StatementsByExchange): string {
  return byExchange
    .map(
      ({ exchange, statements }) =>
        `${exchange} (${statements.length}):\n${statements.map((s) => `    ${s}`).join('\n')}`,
    )
    .join('\n');
}

/**
 * One SP-initiated sign-in through the hosted pages, each HTTP exchange made alone, with the
 * statements the server ran during each; returns them and the Response XML.
 */
async function signInCounted(
  passgate: PolicyServer,
  username: string,
): Promise<{ byExchange: StatementsByExchange; response: string }> {
  const byExchange: StatementsByExchange = [];
  let current: string[] = [];
  const stop = passgate.core.database.observeStatements((sql) => current.push(sql));
  const counted = async <T>(exchange: string, run: () => Promise<T>): Promise<T> => {
    current = [];
    try {
      return await run();
    } finally {
      byExchange.push({ exchange, statements: current });
    }
  };
  try {
    const browser = new Browser({ accept: 'text/html' });
    const xml = authnRequest({
      id: `_${crypto.randomUUID()}`,
      issuer: SP.entityId,
      destination: `${passgate.url}/saml/sso`,
      acs: SP.acs,
      instant: passgate.clock(),
    });
    const sso = await counted('AuthnRequest', () =>
      browser.fetch(`${passgate.url}/saml/sso?${redirectQuery(xml, 'relay')}`),
    );
    const page = await counted('login page', () => browser.fetch(redirected(sso)));
    expect(page.body).toContain('name="password"');
    const posted = await counted('password POST', () =>
      browser.fetch(formAction(page.body, page.url), {
        form: { _csrf: formField(page.body, '_csrf')!, username, password: PASSWORD },
      }),
    );
    const samlResponse = formField(posted.body, 'SAMLResponse');
    if (!samlResponse) throw new Error(`no SAML post page: ${posted.status} ${posted.body.slice(0, 300)}`);
    return { byExchange, response: decode(samlResponse) };
  } finally {
    stop();
  }
}

function redirected(exchange: Exchange): string {
  const location = exchange.headers.get('location');
  if (exchange.status < 300 || exchange.status >= 400 || !location)
    throw new Error(`expected a redirect from ${exchange.url}, got ${exchange.status}`);
  return new URL(location, exchange.url).toString();
}

describe.each(BACKENDS)('SQL statements of one SAML sign-in (%s)', (backend) => {
  let passgate: PolicyServer;

  beforeAll(async () => {
    passgate = await startPolicyServer({ backend });
    mkdirSync(path.join(passgate.dataDir, 'metadata', 'saml'), { recursive: true });
    await registerSp(
      passgate,
      'statements',
      genericMetadata(SP.entityId, SP.acs),
      'profile: generic\nsign: both\n',
    );
    await passgate.addUser('paula', PASSWORD);
    // One sign-in first: what is read once per process (keys, policies) is not the sign-in's.
    await signInCounted(passgate, 'paula');
  }, 60_000);
  afterAll(() => passgate?.close());

  it('signs in with the password within the statement budget', async () => {
    const { byExchange, response } = await signInCounted(passgate, 'paula');
    expect(response).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    expect(response.match(/<ds:Signature /g)).toHaveLength(2);
    if (process.env.PASSGATE_PRINT_STATEMENTS) console.log(`${backend}\n${describeStatements(byExchange)}`);
    expect(
      total(byExchange),
      `statements of a SAML sign-in (at most ${MAX_STATEMENTS}):\n${describeStatements(byExchange)}`,
    ).toBeLessThanOrEqual(MAX_STATEMENTS);
  });
});
