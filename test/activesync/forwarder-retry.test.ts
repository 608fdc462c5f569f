import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * An HTTP peer with SOGo's habit: it answers the first request on a connection and keeps it
 * alive, then resets the connection when a second request arrives on it (the keep-alive race,
 * made deterministic). It records the method and body of every request it answers.
 */
function startResettingPeer(): Promise<{
  server: Server;
  url: string;
  answered: { method: string; body: Buffer }[];
  resets: () => number;
}> {
  const answered: { method: string; body: Buffer }[] = [];
  const served = new WeakSet<Socket>();
  let resets = 0;
  const server = createServer((req, res) => {
    if (served.has(req.socket)) {
      resets++;
      req.socket.resetAndDestroy();
      return;
    }
    served.add(req.socket);
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      answered.push({ method: req.method ?? '', body: Buffer.concat(parts) });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'resetting' });
      res.end('upstream answer');
    });
  });
  // Kept-alive connections stay open however slow the machine: only the peer's reset ends them.
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/eas`,
        answered,
        resets: () => resets,
      }),
    ),
  );
}

/** Sends one raw request through a connection of its own and returns everything that came back until it closed. */
function rawExchange(port: number, head: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.concat([Buffer.from(head), body])));
    const parts: Buffer[] = [];
    socket.on('data', (part: Buffer) => parts.push(part));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
  });
}

describe('ActiveSync forwarder: a kept-alive upstream connection reset as it is reused', () => {
  let peer: Awaited<ReturnType<typeof startResettingPeer>>;
  let passgate: TestServer;
  const eas = (cmd: string) => `${passgate.url}/Microsoft-Server-ActiveSync?Cmd=${cmd}&DeviceId=R1`;
  const unreachableLines = () =>
    passgate.logs.filter((line) => line.includes('ActiveSync upstream unreachable'));

  /** One request the peer answers on a new connection, which Passgate's agent then keeps idle for reuse. */
  const primeConnection = async () => {
    const res = await fetch(eas('Ping'), { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('upstream answer');
  };

  beforeAll(async () => {
    peer = await startResettingPeer();
    passgate = await startTestServer({
      config: {
        activesync: { enabled: true, upstream: peer.url, checkCredentials: false, deviceApproval: false },
        metrics: { listen: '127.0.0.1:0' },
      },
    });
  });
  afterAll(async () => {
    await passgate?.close();
    peer?.server.close();
  });

  it("sends a bodiless OPTIONS again on a fresh connection: the device gets the upstream's 200", async () => {
    await primeConnection();
    const resets = peer.resets();
    const answered = peer.answered.length;
    const res = await fetch(eas('Ping'), { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('resetting');
    expect(await res.text()).toBe('upstream answer');
    expect(peer.resets()).toBe(resets + 1);
    expect(peer.answered.slice(answered).map((r) => r.method)).toEqual(['OPTIONS']);
    expect(unreachableLines()).toEqual([]);
  });

  it('sends a small POST again with its body byte for byte', async () => {
    await primeConnection();
    const resets = peer.resets();
    const answered = peer.answered.length;
    const body = randomBytes(20 * 1024);
    const res = await fetch(eas('FolderSync'), {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.ms-sync.wbxml' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('upstream answer');
    expect(peer.resets()).toBe(resets + 1);
    const [resent, ...more] = peer.answered.slice(answered);
    expect(more).toEqual([]);
    expect(resent?.method).toBe('POST');
    expect(resent?.body.equals(body)).toBe(true);
    expect(unreachableLines()).toEqual([]);
  });

  it('does not resend a large POST (over 64 KiB): one 502, logged as documented, counted once', async () => {
    await primeConnection();
    const resets = peer.resets();
    const answered = peer.answered.length;
    const body = randomBytes(100 * 1024);
    const port = Number(new URL(passgate.url).port);
    const reply = await rawExchange(
      port,
      'POST /Microsoft-Server-ActiveSync?Cmd=SendMail&DeviceId=R1 HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\nContent-Type: message/rfc822\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      body,
    );
    // Exactly one answer reached the device, the 502.
    expect(reply.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 502']);
    expect(reply).toContain('502 Bad Gateway: the mail server cannot be reached.');
    expect(peer.resets()).toBe(resets + 1);
    expect(peer.answered.length).toBe(answered);
    const lines = unreachableLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    const metrics = await fetch(`${passgate.server.metricsUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/passgate_activesync_requests_total\{endpoint="activesync",status="502"\} 1\n/);
    expect(metrics).toMatch(/passgate_activesync_requests_total\{endpoint="activesync",status="200"\} 5\n/);
  });
});
