import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approveDevice } from '../support/approved-device.js';
import { freePort } from '../support/free-port.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type SogoServer, startSogo } from '../support/sogo.js';
import { decodeActiveSync, encodeActiveSync } from '../support/wbxml.js';

const WBXML = 'application/vnd.ms-sync.wbxml';

describe('ActiveSync door in front of a real SOGo', () => {
  let sogo: SogoServer;
  let passgate: TestServer;
  let basic: string;

  beforeAll(async () => {
    sogo = await startSogo(inject('postgresUrl'));
    passgate = await startTestServer({
      config: {
        activesync: { enabled: true, upstream: sogo.activesyncUrl },
        metrics: { listen: '127.0.0.1:0' },
      },
    });
    // The same user and password in Passgate's directory, which checks them before forwarding.
    const user = await passgate.addUser(sogo.user.username, sogo.user.password);
    // The test's device is approved (device approval has its own tests in devices.test.ts).
    await approveDevice(passgate.core, user, 'PG0001', 'iPhone');
    basic = `Basic ${Buffer.from(`${sogo.user.username}:${sogo.user.password}`).toString('base64')}`;
  });
  afterAll(async () => {
    await passgate?.close();
    await sogo?.stop();
  });

  const command = (cmd: string, xml: string) =>
    fetch(
      `${passgate.url}/Microsoft-Server-ActiveSync?Cmd=${cmd}&User=${sogo.user.username}&DeviceId=PG0001&DeviceType=iPhone`,
      {
        method: 'POST',
        headers: { authorization: basic, 'ms-asprotocolversion': '14.1', 'content-type': WBXML },
        body: encodeActiveSync(xml),
      },
    );

  it("answers OPTIONS with the upstream's protocol versions and commands", async () => {
    const res = await fetch(`${passgate.url}/Microsoft-Server-ActiveSync`, {
      method: 'OPTIONS',
      headers: { authorization: basic },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ms-asprotocolversions')).toContain('14.1');
    expect(res.headers.get('ms-asprotocolcommands')).toContain('FolderSync');
  });

  it("returns the mailbox's real folders to a FolderSync in WBXML", async () => {
    const res = await command(
      'FolderSync',
      '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(WBXML);
    const xml = decodeActiveSync(Buffer.from(await res.arrayBuffer()));
    expect(xml).toMatch(/<Status>1<\/Status>/);
    expect(xml).toContain('<DisplayName>Personal Calendar</DisplayName>');
    expect(xml).toContain('<DisplayName>Personal Address Book</DisplayName>');
  });

  it('refuses a wrong password itself (401, its own realm) before the upstream sees it', async () => {
    const res = await fetch(
      `${passgate.url}/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alice&DeviceId=PG0001&DeviceType=iPhone`,
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${sogo.user.username}:wrong`).toString('base64')}`,
          'ms-asprotocolversion': '14.1',
          'content-type': WBXML,
        },
        body: encodeActiveSync('<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>'),
      },
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="ActiveSync"');
    const noCredentials = await fetch(`${passgate.url}/Microsoft-Server-ActiveSync?Cmd=FolderSync`, {
      method: 'POST',
    });
    expect(noCredentials.status).toBe(401);
  });

  it('holds a long-poll Ping open until the upstream answers it', async () => {
    const started = Date.now();
    const res = await command(
      'Ping',
      '<Ping xmlns="Ping:"><HeartbeatInterval>8</HeartbeatInterval><Folders><Folder><Id>vevent/personal</Id><Class>Calendar</Class></Folder></Folders></Ping>',
    );
    const xml = decodeActiveSync(Buffer.from(await res.arrayBuffer()));
    expect(res.status).toBe(200);
    // Status 1: the heartbeat expired without changes, after SOGo held the request.
    expect(xml).toMatch(/<Ping xmlns="Ping:">\s*<Status>1<\/Status>/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8_000);
  }, 60_000);

  it('counts the forwarded requests in /metrics', async () => {
    const text = await fetch(`${passgate.server.metricsUrl}/metrics`).then((r) => r.text());
    expect(text).toMatch(/passgate_activesync_requests_total\{endpoint="activesync",status="200"\} [1-9]/);
  });
});

/** An HTTP peer that records what reaches it and streams back as many bytes as it was sent. */
function startEcho(): Promise<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-upstream': 'echo' });
    req.pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/eas`, seen }),
    ),
  );
}

describe('ActiveSync door: streaming, hop-by-hop headers, unreachable upstream', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let passgate: TestServer;
  let down: TestServer;

  beforeAll(async () => {
    echo = await startEcho();
    passgate = await startTestServer({
      config: {
        activesync: { enabled: true, upstream: echo.url, checkCredentials: false, deviceApproval: false },
      },
    });
    down = await startTestServer({
      config: {
        activesync: {
          enabled: true,
          upstream: `http://127.0.0.1:${await freePort()}/eas`,
          checkCredentials: false,
          deviceApproval: false,
        },
      },
    });
  });
  afterAll(async () => {
    await passgate?.close();
    await down?.close();
    echo?.server.close();
  });

  it('streams a large body both ways without holding it (RSS stays flat)', async () => {
    const total = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const body = Readable.from(
      (async function* () {
        while (sent < total) {
          sent += chunk.length;
          yield chunk;
        }
      })(),
    );
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const res = await fetch(`${passgate.url}/Microsoft-Server-ActiveSync?Cmd=SendMail`, {
      method: 'POST',
      headers: { 'content-type': 'message/rfc822' },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    let received = 0;
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += part.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(received).toBe(total);
    // 256 MB went up and came back down through the proxy (buffering it would take at least that
    // much); memory grew by less than half of it (garbage collection's slack included).
    expect(peak - before).toBeLessThan(total / 2);
  }, 120_000);

  it('passes end-to-end headers unchanged and drops hop-by-hop ones', async () => {
    echo.seen.length = 0;
    // Node's own client: fetch refuses to send a Connection header naming other headers.
    const res = await rawPost(`${passgate.url}/Microsoft-Server-ActiveSync?Cmd=Sync&DeviceId=X1`, {
      'ms-asprotocolversion': '14.1',
      'x-ms-policykey': '1234',
      connection: 'keep-alive, x-private-hop',
      'x-private-hop': 'secret',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('echo');
    expect(res.body).toBe('body');
    const [headers] = echo.seen;
    expect(headers?.['ms-asprotocolversion']).toBe('14.1');
    expect(headers?.['x-ms-policykey']).toBe('1234');
    expect(headers?.['x-private-hop']).toBeUndefined();
    expect(headers?.['proxy-authorization']).toBeUndefined();
    expect(headers?.['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers?.host).toBe(new URL(echo.url).host);
  });

  it('answers 502 with a short message, no stack trace, when the upstream is unreachable', async () => {
    const res = await fetch(`${down.url}/Microsoft-Server-ActiveSync?Cmd=FolderSync`, {
      method: 'POST',
      body: 'x',
    });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain('mail server cannot be reached');
    expect(text).not.toMatch(/ECONNREFUSED|at .*\.js|Error:/);
    expect(down.logs.join('\n')).toContain('ActiveSync upstream unreachable');
  });
});

/** POSTs `body` with exactly these headers through node:http, and reads the whole answer. */
function rawPost(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => {
        body += part;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end('body');
  });
}
