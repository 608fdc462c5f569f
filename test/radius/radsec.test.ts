// RADIUS over TLS (RFC 6614) with a TLS client of Node's own: mutual TLS with certificates of a
// test CA made by openssl, packets under the secret "radsec", answers signed with the
// Message-Authenticator first; a client without a certificate of the CA gets no connection.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';
import radius from 'radius';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radiusClients } from '../support/radclient.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADSEC_SECRET';
const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-radsec-'));
const f = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout'];

/** A CA, and a certificate it issues for `name` with the given extended key usage. */
function makeCa(ca: string): void {
  openssl(
    'req',
    '-x509',
    ...newKey,
    f(`${ca}.key`),
    '-out',
    f(`${ca}.pem`),
    '-days',
    '2',
    '-subj',
    `/CN=${ca}`,
  );
}
function issue(ca: string, name: string, usage: 'serverAuth' | 'clientAuth'): void {
  openssl('req', ...newKey, f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
  writeFileSync(f(`${name}.ext`), `subjectAltName=IP:127.0.0.1\nextendedKeyUsage=${usage}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-out',
    f(`${name}.pem`),
    '-days',
    '2',
    '-CA',
    f(`${ca}.pem`),
    '-CAkey',
    f(`${ca}.key`),
    '-CAcreateserial',
    '-extfile',
    f(`${name}.ext`),
  );
}

describe('RadSec (RADIUS over TLS)', () => {
  let passgate: TestServer;
  let port: number;

  beforeAll(async () => {
    makeCa('ca');
    makeCa('rogue-ca');
    issue('ca', 'server', 'serverAuth');
    issue('ca', 'nas', 'clientAuth');
    issue('rogue-ca', 'rogue', 'clientAuth');
    process.env[SECRET_VARIABLE] = 'udp-secret-not-used-by-radsec';
    passgate = await startTestServer({
      config: {
        radius: {
          enabled: true,
          host: '127.0.0.1',
          port: 0,
          radsec: {
            enabled: true,
            host: '127.0.0.1',
            port: 0,
            certFile: f('server.pem'),
            keyFile: f('server.key'),
            caFile: f('ca.pem'),
          },
        },
      },
    });
    await radiusClients(passgate, [
      { name: 'vpn', addresses: ['127.0.0.1'], secret: { env: SECRET_VARIABLE }, radsec: true },
    ]);
    port = passgate.server.services()!.doors.radius!.radsecAddress()!.port;
    await passgate.addUser('alice', PASSWORD);
  });
  afterAll(() => passgate?.close());

  /** Sends requests on one TLS connection with a client certificate and collects the answers. */
  const exchange = (client: string | undefined, packets: Buffer[]) =>
    new Promise<Buffer[]>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: readFileSync(f('ca.pem')),
        ...(client ? { cert: readFileSync(f(`${client}.pem`)), key: readFileSync(f(`${client}.key`)) } : {}),
      });
      const answers: Buffer[] = [];
      let buffered = Buffer.alloc(0);
      socket.on('secureConnect', () => {
        for (const packet of packets) socket.write(packet);
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= buffered.readUInt16BE(2)) {
          answers.push(buffered.subarray(0, buffered.readUInt16BE(2)));
          buffered = buffered.subarray(buffered.readUInt16BE(2));
        }
        if (answers.length === packets.length) {
          socket.end();
          resolve(answers);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answers));
    });

  const request = (password: string, identifier: number) =>
    radius.encode({
      code: 'Access-Request',
      identifier,
      secret: 'radsec',
      attributes: [
        ['User-Name', 'alice'],
        ['User-Password', password],
      ],
      add_message_authenticator: true,
    });

  it('answers requests on a mutual-TLS connection under the secret "radsec"', async () => {
    const requests = [request(PASSWORD, 1), request('wrong', 2)];
    // Answers on one connection come as each request ends (RFC 6614 §2.5): matched by identifier.
    const answers = (await exchange('nas', requests)).sort((a, b) => a[1]! - b[1]!);
    expect(answers.map((a) => [a[1], a[0]])).toEqual([
      [1, 2], // Access-Accept
      [2, 3], // Access-Reject
    ]);
    answers.forEach((answer, i) => {
      expect(answer[20]).toBe(80); // Message-Authenticator first
      expect(
        radius.verify_response({ request: requests[i]!, response: Buffer.from(answer), secret: 'radsec' }),
      ).toBe(true);
    });
  });

  it('refuses a client without a certificate, and one with a certificate of another CA', async () => {
    // Under TLS 1.3 the server refuses the certificate after the client's handshake: an error or
    // a closed connection, never an answer.
    expect(await exchange(undefined, [request(PASSWORD, 3)]).catch(() => [])).toEqual([]);
    expect(await exchange('rogue', [request(PASSWORD, 4)]).catch(() => [])).toEqual([]);
    expect(passgate.logs.some((l) => l.includes('RadSec TLS handshake refused'))).toBe(true);
  });
});
