// FreeRADIUS (Debian's freeradius 3.2) as a RADIUS proxy in front of Passgate, as NPS or a
// central RADIUS server would be: the challenge and its State pass through it both ways, and
// FreeRADIUS checks Passgate's answers (Response Authenticator, Message-Authenticator) itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { oathtool } from '../journey/support.js';
import { type FreeRadiusProxy, startFreeRadiusProxy } from '../support/freeradius.js';
import { radclient, radiusClients } from '../support/radclient.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
const FRONT_SECRET = 'front-secret-of-the-proxy-01';
const SECRET = 'radius-proxy-secret-0123456789';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_PROXY_SECRET';
const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('FreeRADIUS proxying to Passgate', () => {
  let passgate: TestServer;
  let proxy: FreeRadiusProxy;

  beforeAll(async () => {
    process.env[SECRET_VARIABLE] = SECRET;
    passgate = await startTestServer({ config: { radius: { enabled: true, host: '127.0.0.1', port: 0 } } });
    const port = await radiusClients(passgate, [
      { name: 'vpn', addresses: ['127.0.0.1'], secret: { env: SECRET_VARIABLE } },
    ]);
    const tina = await passgate.addUser('tina', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: tina.id, label: 'tina', type: 'totp', secret: Buffer.from('12345678901234567890') },
      'Passgate',
    );
    proxy = await startFreeRadiusProxy({
      frontSecret: FRONT_SECRET,
      home: { host: '127.0.0.1', port, secret: SECRET },
    });
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await passgate?.close();
  });

  it('passes the Access-Challenge and the answer with its State through', async () => {
    const options = () => ({ server: proxy.server, secret: FRONT_SECRET, timeout: 10 });
    const first = await radclient({ 'User-Name': 'tina', 'User-Password': PASSWORD }, options());
    expect(first.code, `${first.output}\n${proxy.output()}`).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toEqual([
      'Enter the code shown by your authenticator app or token.',
    ]);
    const answer = await radclient(
      { 'User-Name': 'tina', 'User-Password': oathtool(TOTP_SECRET), State: first.attributes.State![0]! },
      options(),
    );
    expect(answer.code, `${answer.output}\n${proxy.output()}`).toBe('Access-Accept');
    const wrong = await radclient({ 'User-Name': 'tina', 'User-Password': 'wrong' }, options());
    expect(wrong.code, wrong.output).toBe('Access-Reject');
    expect(wrong.attributes['Reply-Message']).toEqual(['The user name or password is incorrect.']);
  });
});
