// Random and mutated RADIUS packets against the running door: no crash, no answer to any packet
// that is not a valid request, and memory flat. PASSGATE_RADIUS_FUZZ_PACKETS sets the number
// (the 1,000,000 for a full run; fewer by default to keep the suite quick).
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import radius from 'radius';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radclient, radiusClients } from '../support/radclient.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PACKETS = Number(process.env.PASSGATE_RADIUS_FUZZ_PACKETS ?? 50_000);
const SECRET = 'radius-fuzz-secret-0123456789';
const SECRET_VARIABLE = 'PASSGATE_TEST_RADIUS_FUZZ_SECRET';
const PASSWORD = 'correct horse battery';

/** Valid requests the mutations start from. */
const BASES = [
  [
    ['User-Name', 'alice'],
    ['User-Password', PASSWORD],
  ],
  [
    ['User-Name', 'alice'],
    ['User-Password', 'x'],
    ['State', Buffer.from('AAAAAAAAAAAAAAAAAAAAAAAA')],
  ],
  [
    ['User-Name', 'bob'],
    ['User-Password', PASSWORD],
    ['Calling-Station-Id', '192.0.2.1'],
    ['Proxy-State', Buffer.from([1, 2])],
  ],
  [
    ['User-Name', 'alice'],
    ['CHAP-Password', Buffer.alloc(17)],
    ['Vendor-Specific', 9, [[1, Buffer.from('a=b')]]],
  ],
].map((attributes, i) =>
  radius.encode({
    code: 'Access-Request',
    identifier: i,
    secret: SECRET,
    attributes: attributes as never,
    add_message_authenticator: true,
  }),
);

/** One packet that is not a valid request of the client: random, or a valid one changed. */
function fuzzed(): Buffer {
  const kind = randomInt(10);
  if (kind < 2) {
    const packet = randomBytes(randomInt(0, 300));
    if (packet.length >= 4 && kind === 1) {
      packet[0] = randomInt(2) ? 1 : 12;
      packet.writeUInt16BE(packet.length, 2);
    }
    return packet;
  }
  const base = BASES[randomInt(BASES.length)]!;
  let packet = Buffer.from(base);
  if (kind === 2) return packet.subarray(0, randomInt(packet.length));
  if (kind === 3) {
    // A Length that claims more, with the bytes to back it (the authenticators no longer match).
    packet = Buffer.concat([packet, randomBytes(randomInt(1, 40))]);
    packet.writeUInt16BE(packet.length, 2);
    return packet;
  }
  for (let n = randomInt(1, 4); n > 0; n--) {
    const at = randomInt(packet.length);
    packet[at] = kind % 2 ? packet[at]! ^ (1 << randomInt(8)) : randomInt(256);
  }
  return packet.equals(base) ? fuzzed() : packet;
}

describe('the RADIUS door under random and mutated packets', () => {
  let passgate: TestServer;
  let port: number;

  beforeAll(async () => {
    process.env[SECRET_VARIABLE] = SECRET;
    passgate = await startTestServer({
      config: { radius: { enabled: true, host: '127.0.0.1', port: 0 }, metrics: { listen: '127.0.0.1:0' } },
    });
    port = await radiusClients(passgate, [
      { name: 'vpn', addresses: ['127.0.0.1'], secret: { env: SECRET_VARIABLE } },
    ]);
    await passgate.addUser('alice', PASSWORD);
  });
  afterAll(() => passgate?.close());

  it(`answers none of ${PACKETS} invalid packets, keeps answering valid ones, and keeps its memory`, async () => {
    const socket = createSocket('udp4');
    let answers = 0;
    socket.on('message', () => answers++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let warmRss = 0;
    const started = Date.now();
    for (let sent = 0; sent < PACKETS; ) {
      const batch = Math.min(20, PACKETS - sent);
      await Promise.all(
        Array.from(
          { length: batch },
          () => new Promise((resolve) => socket.send(fuzzed(), port, '127.0.0.1', resolve)),
        ),
      );
      sent += batch;
      // Let the server read its queue: a flood the kernel drops tests nothing.
      await new Promise((resolve) => setImmediate(resolve));
      if (!warmRss && sent >= PACKETS / 10) warmRss = process.memoryUsage().rss;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.close();
    const rssGrowth = (process.memoryUsage().rss - warmRss) / 2 ** 20;
    console.log(
      `radius fuzz: ${PACKETS} packets in ${((Date.now() - started) / 1000).toFixed(1)} s, ${answers} answers, RSS +${rssGrowth.toFixed(1)} MiB after the first 10%`,
    );
    expect(answers).toBe(0);
    expect(rssGrowth).toBeLessThan(40);
    const reply = await radclient(
      { 'User-Name': 'alice', 'User-Password': PASSWORD },
      { server: `127.0.0.1:${port}`, secret: SECRET },
    );
    expect(reply.code, reply.output).toBe('Access-Accept');
    // Counted: most reached the server (loopback may drop a few under the flood).
    const metrics = await (await fetch(`${passgate.server.metricsUrl}/metrics`)).text();
    const dropped = [...metrics.matchAll(/^passgate_radius_dropped_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(dropped).toBeGreaterThan(PACKETS * 0.5);
  }, 600_000);
});
