import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import radius from 'radius';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import type { startSmsc } from '../dispatch/smsc.js';
import { oathtool, oathtoolCodes } from '../journey/support.js';
import { radclient, radiusClients } from '../support/radclient.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';

const PASSWORD = 'correct horse battery';
const LONG_PASSWORD = 'Pässwörd über sechzehn Oktette, "quoted" 🔐';
const SECRET = 'radius-test-secret-0123456789';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_SECRET';
const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of 12345678901234567890
/** Fresh codes of the users whose tokens are on TOTP_SECRET (tina enters one in a challenge, later one inline). */
const totpCodeOf = oathtoolCodes(TOTP_SECRET);

describe('the RADIUS door answers radclient', () => {
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let passgate: TestServer;
  let port: number;

  beforeAll(async () => {
    process.env[SECRET_VARIABLE] = SECRET;
    smsc = await startGatewaySmsc();
    passgate = await startTestServer({
      config: {
        radius: {
          enabled: true,
          host: '::',
          port: 0,
          dictionaries: [
            '/usr/share/freeradius/dictionary.fortinet',
            '/usr/share/freeradius/dictionary.cisco',
          ],
        },
        metrics: { listen: '127.0.0.1:0' },
        dispatch: {
          gateways: [smppGateway(smsc)],
        },
        policies: {
          authentication: {
            'blocked-network': {
              when: { networks: ['203.0.113.0/24'] },
              outcome: { action: 'deny', message: 'ACCESS_DENIED_LOCATION' },
            },
            'mfa-required': { when: { groups: ['mfa-required'] }, outcome: { action: 'mfa' } },
            'vpn-operators': {
              when: { groups: ['vpn-operators'] },
              outcome: { action: 'allow' },
              radius: {
                replyAttributes: [
                  { name: 'Class', value: 'OU=Operators;' },
                  { name: 'Filter-Id', value: 'operators-acl' },
                  { name: 'Session-Timeout', value: 3600 },
                  { vendor: 'Fortinet', name: 'Fortinet-Group-Name', value: 'operators' },
                ],
              },
            },
            'vpn-auditors': {
              when: { groups: ['vpn-auditors'] },
              outcome: { action: 'mfa', methods: ['totp'] },
              radius: { replyAttributes: [{ name: 'Filter-Id', value: 'auditors-acl' }] },
            },
            'broken-reply': {
              when: { groups: ['broken-reply'] },
              outcome: { action: 'allow' },
              radius: { replyAttributes: [{ vendor: 'Fortinet', name: 'No-Such-Attribute', value: 'x' }] },
            },
          },
        },
      },
    });
    port = await radiusClients(passgate, [
      {
        name: 'vpn',
        addresses: ['127.0.0.0/8'],
        secret: { env: SECRET_VARIABLE },
        replyAttributes: [
          { name: 'Class', value: 'vpn-users' },
          { name: 'Session-Timeout', value: 28800 },
          { vendor: 'Fortinet', name: 'Fortinet-Group-Name', value: 'admins', groups: ['VPN-Admins'] },
          { vendor: 'Cisco', name: 'Cisco-AVPair', value: 'shell:priv-lvl=15', groups: ['vpn-admins'] },
        ],
      },
      {
        name: 'nps',
        addresses: ['127.0.0.2'],
        secret: { env: SECRET_VARIABLE },
        secondFactorOnly: true,
      },
      {
        name: 'legacy-vpn',
        addresses: ['::1'],
        secret: { env: SECRET_VARIABLE },
        mode: 'inline',
        separator: ',',
      },
    ]);
    await passgate.addUser('alice', PASSWORD);
    await passgate.addUser('adam', LONG_PASSWORD, { groups: ['vpn-admins'] });
    await passgate.addUser('sam', PASSWORD, { mobile: '+33612345642' });
    await passgate.addUser('nora', PASSWORD, { groups: ['mfa-required'] });
    await passgate.addUser('olga', PASSWORD, { groups: ['VPN-Operators'] });
    await passgate.addUser('bruno', PASSWORD, { groups: ['broken-reply'] });
    for (const [name, groups] of [
      ['tina', []],
      ['tess', []],
      ['otto', ['vpn-auditors']],
    ] as const) {
      const user = await passgate.addUser(name, PASSWORD, { groups: [...groups] });
      await enrolOath(
        passgate.core.tokens,
        { userId: user.id, label: name, type: 'totp', secret: Buffer.from('12345678901234567890') },
        'Passgate',
      );
    }
  });
  afterAll(async () => {
    await passgate?.close();
    await smsc?.close();
  });

  const v4 = () => ({ server: `127.0.0.1:${port}`, secret: SECRET });
  const v6 = () => ({ server: `[::1]:${port}`, secret: SECRET });

  it('accepts the right password of a user without a second factor, with the client reply attributes', async () => {
    const reply = await radclient({ 'User-Name': 'alice', 'User-Password': PASSWORD }, v4());
    expect(
      reply.code,
      `${reply.output}\n${passgate.logs.filter((l) => l.includes('radius')).join('\n')}`,
    ).toBe('Access-Accept');
    expect(reply.attributes.Class).toEqual(['0x76706e2d7573657273']);
    // The Message-Authenticator comes first (BLAST-RADIUS); radclient checked it and the authenticator.
    expect(reply.output).toMatch(/Received Access-Accept[^\n]*\n\s+Message-Authenticator = 0x[0-9a-f]{32}/);
  });

  it("sends the vendor attributes of the user's groups (FreeRADIUS dictionaries), and copies Proxy-State", async () => {
    const admin = await radclient(
      { 'User-Name': 'adam', 'User-Password': LONG_PASSWORD, 'Proxy-State': '0x0102abcd' },
      v4(),
    );
    expect(admin.code, admin.output).toBe('Access-Accept');
    expect(admin.attributes).toMatchObject({
      'Session-Timeout': ['28800'],
      'Fortinet-Group-Name': ['admins'],
      'Cisco-AVPair': ['shell:priv-lvl=15'],
      'Proxy-State': ['0x0102abcd'],
    });
    const user = await radclient({ 'User-Name': 'alice', 'User-Password': PASSWORD }, v4());
    expect(user.attributes['Fortinet-Group-Name']).toBeUndefined();
    expect(user.attributes['Cisco-AVPair']).toBeUndefined();
  });

  it('sends the reply attributes of the Authentication Policy rule that matched, replacing same-named client ones', async () => {
    const reply = await radclient({ 'User-Name': 'olga', 'User-Password': PASSWORD }, v4());
    expect(reply.code, reply.output).toBe('Access-Accept');
    expect(reply.attributes).toMatchObject({
      // radclient prints octets in hex: "OU=Operators;"; the client's Class "vpn-users" is replaced.
      Class: [`0x${Buffer.from('OU=Operators;').toString('hex')}`],
      'Filter-Id': ['operators-acl'],
      'Session-Timeout': ['3600'],
      'Fortinet-Group-Name': ['operators'],
    });
    const event = (await passgate.core.audit.recent({ type: 'login' })).find((e) => e.username === 'olga');
    expect(event).toMatchObject({ outcome: 'success', details: { rule: 'vpn-operators' } });
  });

  it("sends the rule's reply attributes after a challenge answered under its State", async () => {
    const first = await radclient({ 'User-Name': 'otto', 'User-Password': PASSWORD }, v4());
    expect(first.code, first.output).toBe('Access-Challenge');
    expect(first.attributes['Filter-Id']).toBeUndefined();
    const answer = await radclient(
      { 'User-Name': 'otto', 'User-Password': oathtool(TOTP_SECRET), State: first.attributes.State![0]! },
      v4(),
    );
    expect(answer.code, answer.output).toBe('Access-Accept');
    expect(answer.attributes['Filter-Id']).toEqual(['auditors-acl']);
    expect(answer.attributes.Class).toEqual(['0x76706e2d7573657273']);
  });

  it('names a rule whose reply attribute the dictionaries do not know at load, and rejects the sign-ins it decides', async () => {
    expect(
      passgate.logs.filter((l) =>
        l.includes('Authentication Policy rule broken-reply: radius.replyAttributes.0: unknown attribute'),
      ).length,
    ).toBeGreaterThan(0);
    const reply = await radclient({ 'User-Name': 'bruno', 'User-Password': PASSWORD }, v4());
    expect(reply.code, reply.output).toBe('Access-Reject');
    expect(reply.attributes['Reply-Message']).toEqual(['Access is not allowed. Contact your administrator.']);
    const event = (await passgate.core.audit.recent({ type: 'login' })).find((e) => e.username === 'bruno');
    expect(event).toMatchObject({ outcome: 'failure', reason: 'RADIUS_RULE_REPLY_INVALID' });
  });

  it('rejects a wrong password with a Reply-Message', async () => {
    const reply = await radclient({ 'User-Name': 'alice', 'User-Password': 'wrong' }, v4());
    expect(reply.code, reply.output).toBe('Access-Reject');
    expect(reply.attributes['Reply-Message']).toEqual(['The user name or password is incorrect.']);
  });
  /** The SMS the SMSC received for a number, with their passcodes. */
  const smsTo = (mobile: string) =>
    smsc.state.submits
      .filter((s) => s.destination.replace(/^\+/, '') === mobile.replace(/^\+/, ''))
      .map((s) => ({ ...s, code: /\b(\d{6,8})\b/.exec(s.text)?.[1] ?? '' }));

  /** Sends the same datagram `times` times from one socket and collects the replies. */
  const sendRaw = async (packet: Buffer, times: number, waitMs = 1500): Promise<Buffer[]> => {
    const socket = createSocket('udp4');
    const replies: Buffer[] = [];
    socket.on('message', (message) => replies.push(message));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    for (let i = 0; i < times; i++) {
      socket.send(packet, port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    socket.close();
    return replies;
  };

  it('asks for the passcode sent by SMS through the real SMPP peer, and accepts it under the State', async () => {
    const before = smsTo('+33612345642').length;
    const first = await radclient({ 'User-Name': 'sam', 'User-Password': PASSWORD }, v4());
    expect(first.code, first.output).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']?.join('')).toMatch(/^Enter the code sent to \+33.*\.$/);
    expect(first.attributes['Session-Timeout']).toEqual(['600']);
    const state = first.attributes.State![0]!;
    const sent = smsTo('+33612345642');
    expect(sent).toHaveLength(before + 1);
    const code = sent.at(-1)!.code;
    expect(code).toMatch(/^\d{6,8}$/);

    const wrong = await radclient({ 'User-Name': 'sam', 'User-Password': '00000000', State: state }, v4());
    expect(wrong.code, wrong.output).toBe('Access-Challenge');
    expect(wrong.attributes['Reply-Message']?.join('')).toMatch(
      /^The code is not correct\. Enter the code sent/,
    );
    expect(wrong.attributes.State).toEqual([state]);

    const answer = await radclient({ 'User-Name': 'sam', 'User-Password': code, State: state }, v4());
    expect(answer.code, answer.output).toBe('Access-Accept');
    // The State is spent: the same answer again is refused.
    const again = await radclient({ 'User-Name': 'sam', 'User-Password': code, State: state }, v4());
    expect(again.code, again.output).toBe('Access-Reject');
    expect(smsTo('+33612345642')).toHaveLength(before + 1);
  });

  it('asks for the TOTP code of a user with an authenticator (code from oathtool)', async () => {
    const first = await radclient({ 'User-Name': 'tina', 'User-Password': PASSWORD }, v4());
    expect(first.code, first.output).toBe('Access-Challenge');
    expect(first.attributes['Reply-Message']).toEqual([
      'Enter the code shown by your authenticator app or token.',
    ]);
    const answer = await radclient(
      { 'User-Name': 'tina', 'User-Password': await totpCodeOf('tina'), State: first.attributes.State![0]! },
      v4(),
    );
    expect(answer.code, answer.output).toBe('Access-Accept');
    const event = (await passgate.core.audit.recent({ type: 'login' })).find((e) => e.username === 'tina');
    expect(event).toMatchObject({
      outcome: 'success',
      details: { door: 'radius', application: 'vpn', method: 'totp' },
    });
  });

  it('refuses a State of another user', async () => {
    const first = await radclient({ 'User-Name': 'tina', 'User-Password': PASSWORD }, v4());
    const answer = await radclient(
      { 'User-Name': 'alice', 'User-Password': oathtool(TOTP_SECRET), State: first.attributes.State![0]! },
      v4(),
    );
    expect(answer.code, answer.output).toBe('Access-Reject');
    expect(answer.attributes['Reply-Message']).toEqual([
      'This sign-in step has expired. Go back to the application and start again.',
    ]);
    const event = (await passgate.core.audit.recent({ type: 'login' })).find((e) => e.username === 'alice');
    expect(event).toMatchObject({
      outcome: 'failure',
      reason: 'MFA_CHALLENGE_EXPIRED',
      details: { door: 'radius', application: 'vpn' },
    });
  });

  describe('a second-factor-only client (NPS checked the password)', () => {
    /** radclient sends from 127.0.0.2, the address of the `nps` client. */
    const fromNps = { 'Packet-Src-IP-Address': '127.0.0.2' };

    it('ignores the User-Password, sends the SMS and accepts the code under the State', async () => {
      const before = smsTo('+33612345642').length;
      const first = await radclient(
        { 'User-Name': 'sam', 'User-Password': 'not the password', ...fromNps },
        v4(),
      );
      expect(first.code, first.output).toBe('Access-Challenge');
      expect(first.attributes['Reply-Message']?.join('')).toMatch(/^Enter the code sent to \+33/);
      const sent = smsTo('+33612345642');
      expect(sent).toHaveLength(before + 1);
      const state = first.attributes.State![0]!;
      const wrong = await radclient(
        { 'User-Name': 'sam', 'User-Password': '00000000', State: state, ...fromNps },
        v4(),
      );
      expect(wrong.code, wrong.output).toBe('Access-Challenge');
      const answer = await radclient(
        { 'User-Name': 'sam', 'User-Password': sent.at(-1)!.code, State: state, ...fromNps },
        v4(),
      );
      expect(answer.code, answer.output).toBe('Access-Accept');
      const events = await passgate.core.audit.recent({ type: 'login.password' });
      expect(events.find((e) => e.username === 'sam')).toMatchObject({
        outcome: 'success',
        details: { door: 'radius', application: 'nps', vouchedBy: 'client' },
      });
      expect(
        events.filter(
          (e) => e.username === 'sam' && e.outcome === 'failure' && e.details.application === 'nps',
        ),
      ).toEqual([]);
    });

    it('asks for the TOTP code of a request without User-Password (NPS forwarding MS-CHAPv2)', async () => {
      const first = await radclient({ 'User-Name': 'tess', ...fromNps }, v4());
      expect(first.code, first.output).toBe('Access-Challenge');
      const answer = await radclient(
        {
          'User-Name': 'tess',
          'User-Password': oathtool(TOTP_SECRET),
          State: first.attributes.State![0]!,
          ...fromNps,
        },
        v4(),
      );
      expect(answer.code, answer.output).toBe('Access-Accept');
    });

    it('rejects a user Passgate does not know', async () => {
      const reply = await radclient({ 'User-Name': 'nobody', 'User-Password': 'x', ...fromNps }, v4());
      expect(reply.code, reply.output).toBe('Access-Reject');
      expect(reply.attributes['Reply-Message']).toEqual(['The user name or password is incorrect.']);
      const event = (await passgate.core.audit.recent({ type: 'login.password' })).find(
        (e) => e.username === 'nobody',
      );
      expect(event).toMatchObject({ outcome: 'failure', reason: 'INVALID_CREDENTIALS' });
      await passgate.core.attempts.flush();
      const attempt = await passgate.core.database.db
        .selectFrom('sign_in_attempts')
        .selectAll()
        .where('user_name', '=', 'nobody')
        .executeTakeFirst();
      expect(attempt).toMatchObject({
        door: 'radius',
        application: 'nps',
        method: 'vouched',
        reason: 'INVALID_CREDENTIALS',
      });
    });

    it('still applies the Authentication Policy: location, a required factor, reply attributes', async () => {
      const blocked = await radclient(
        { 'User-Name': 'sam', 'Calling-Station-Id': '203.0.113.9', ...fromNps },
        v4(),
      );
      expect(blocked.code, blocked.output).toBe('Access-Reject');
      expect(blocked.attributes['Reply-Message']).toEqual([
        'Sign-in from your current location is not allowed. Contact your administrator.',
      ]);
      const noFactor = await radclient({ 'User-Name': 'nora', ...fromNps }, v4());
      expect(noFactor.code, noFactor.output).toBe('Access-Reject');
      expect(noFactor.attributes['Reply-Message']).toEqual([
        'You have no second factor that can be used here. Contact your administrator.',
      ]);
      const operator = await radclient({ 'User-Name': 'olga', ...fromNps }, v4());
      expect(operator.code, operator.output).toBe('Access-Accept');
      expect(operator.attributes['Filter-Id']).toEqual(['operators-acl']);
    });
  });

  it('answers Status-Server (RFC 5997) with a signed Access-Accept', async () => {
    const reply = await new Promise<string>((resolve) => {
      execFile(
        'radclient',
        ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'status', SECRET],
        (_e, stdout) => resolve(stdout),
      ).stdin!.end('Message-Authenticator = 0x00\n');
    });
    expect(reply).toMatch(/Received Access-Accept/);
  });

  it('takes password,code in one request from an inline client over IPv6', async () => {
    const wrong = await radclient({ 'User-Name': 'tina', 'User-Password': `${PASSWORD},000000` }, v6());
    expect(wrong.code, wrong.output).toBe('Access-Reject');
    expect(wrong.attributes['Reply-Message']).toEqual(['The code is not correct. Check it and try again.']);
    const missing = await radclient({ 'User-Name': 'tina', 'User-Password': PASSWORD }, v6());
    expect(missing.code, missing.output).toBe('Access-Reject');
    expect(missing.attributes['Reply-Message']?.join('')).toContain('then , and the code');
    const right = await radclient(
      { 'User-Name': 'tina', 'User-Password': `${PASSWORD},${await totpCodeOf('tina')}` },
      v6(),
    );
    expect(right.code, right.output).toBe('Access-Accept');
    // No code is needed for alice: a password with the separator in it still works.
    await passgate.addUser('paul', 'comma,in,password');
    const comma = await radclient({ 'User-Name': 'paul', 'User-Password': 'comma,in,password' }, v6());
    expect(comma.code, comma.output).toBe('Access-Accept');
  }, 120_000);

  it('rejects a user who must use a second factor but has none, saying why', async () => {
    const reply = await radclient({ 'User-Name': 'nora', 'User-Password': PASSWORD }, v4());
    expect(reply.code, reply.output).toBe('Access-Reject');
    expect(reply.attributes['Reply-Message']).toEqual([
      'You have no second factor that can be used here. Contact your administrator.',
    ]);
  });

  it("takes an IP address in Calling-Station-Id as the user's address for the policy", async () => {
    const reply = await radclient(
      { 'User-Name': 'alice', 'User-Password': PASSWORD, 'Calling-Station-Id': '203.0.113.7' },
      v4(),
    );
    expect(reply.code, reply.output).toBe('Access-Reject');
    expect(reply.attributes['Reply-Message']).toEqual([
      'Sign-in from your current location is not allowed. Contact your administrator.',
    ]);
    const event = (await passgate.core.audit.recent({ type: 'login.password' })).find(
      (e) => e.username === 'alice',
    );
    expect(event).toMatchObject({ address: '203.0.113.7', details: { door: 'radius', application: 'vpn' } });
  });

  it('drops an Access-Request without Message-Authenticator, and one with a wrong secret (BLAST-RADIUS)', async () => {
    const bare = await radclient(
      { 'User-Name': 'alice', 'User-Password': PASSWORD },
      { ...v4(), messageAuthenticator: false, timeout: 1 },
    );
    expect(bare.code, bare.output).toBe('timeout');
    const wrongSecret = await radclient(
      { 'User-Name': 'alice', 'User-Password': PASSWORD },
      { ...v4(), secret: 'another-secret-0123456789', timeout: 1 },
    );
    expect(wrongSecret.code, wrongSecret.output).toBe('timeout');
    const metrics = await (await fetch(`${passgate.server.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/passgate_radius_dropped_total\{reason="no_message_authenticator"\} [1-9]/);
    expect(metrics).toMatch(/passgate_radius_dropped_total\{reason="bad_authenticator"\} [1-9]/);
    expect(passgate.logs.filter((l) => l.includes('without Message-Authenticator'))).toHaveLength(1);
  });

  it('answers a retransmission from the duplicate cache: the same reply, one SMS', async () => {
    const before = smsTo('+33612345642').length;
    const packet = radius.encode({
      code: 'Access-Request',
      identifier: 42,
      secret: SECRET,
      attributes: [
        ['User-Name', 'sam'],
        ['User-Password', PASSWORD],
      ],
      add_message_authenticator: true,
    });
    const replies = await sendRaw(packet, 3);
    expect(replies).toHaveLength(3);
    expect(replies[0]![0]).toBe(11); // Access-Challenge
    expect(replies[1]!.equals(replies[0]!)).toBe(true);
    expect(replies[2]!.equals(replies[0]!)).toBe(true);
    expect(smsTo('+33612345642')).toHaveLength(before + 1);
  });
});
