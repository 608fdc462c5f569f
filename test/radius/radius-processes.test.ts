// Two Passgate processes on one PostgreSQL store behind one VPN: the Access-Challenge comes from
// one, the answer with the code goes to the other (as a NAS with two RADIUS servers does).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startSmsc } from '../dispatch/smsc.js';
import { radclient, radiusClients } from '../support/radclient.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';

const PASSWORD = 'correct horse battery';
const SECRET = 'radius-processes-secret-0123';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_PROCESSES_SECRET';
const MOBILE = '+33612345699';

describe('RADIUS challenges across two Passgate processes on PostgreSQL', () => {
  const masterKey = randomBytes(32).toString('base64');
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let first: TestServer;
  let second: TestServer;
  let ports: number[];

  beforeAll(async () => {
    process.env[SECRET_VARIABLE] = SECRET;
    smsc = await startGatewaySmsc();
    const config = {
      secrets: { masterKey },
      radius: { enabled: true, host: '127.0.0.1', port: 0 },
      dispatch: {
        gateways: [smppGateway(smsc)],
      },
    };
    first = await startTestServer({ backend: 'postgres', config });
    second = await startTestServer({ databaseUrl: first.config.database.url, config });
    const client = { name: 'vpn', addresses: ['127.0.0.1'], secret: { env: SECRET_VARIABLE } };
    ports = [await radiusClients(first, [client]), await radiusClients(second, [client])];
    await first.addUser('sam', PASSWORD, { mobile: MOBILE });
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await smsc?.close();
  });

  it('accepts at the second process the passcode of the challenge the first one sent', async () => {
    const options = (port: number) => ({ server: `127.0.0.1:${port}`, secret: SECRET });
    const challenge = await radclient({ 'User-Name': 'sam', 'User-Password': PASSWORD }, options(ports[0]!));
    expect(challenge.code, challenge.output).toBe('Access-Challenge');
    const sms = smsc.state.submits.filter((s) => s.destination.replace(/^\+/, '') === MOBILE.slice(1));
    expect(sms).toHaveLength(1);
    const code = /\b(\d{6,8})\b/.exec(sms[0]!.text)![1]!;
    const answer = await radclient(
      { 'User-Name': 'sam', 'User-Password': code, State: challenge.attributes.State![0]! },
      options(ports[1]!),
    );
    expect(answer.code, answer.output).toBe('Access-Accept');
    // Spent: the first process refuses the same answer.
    const replay = await radclient(
      { 'User-Name': 'sam', 'User-Password': code, State: challenge.attributes.State![0]! },
      options(ports[0]!),
    );
    expect(replay.code, replay.output).toBe('Access-Reject');
  });
});
