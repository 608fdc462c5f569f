import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { Logger } from '../../observability/logger.js';
import { endToEndHeaders, groupHeaders } from './hop-by-hop.js';

/** Where one kind of request goes, and how the connection to it is made. */
export interface ForwarderOptions {
  /** The upstream endpoint; the request's path below the mount point and its query are appended. */
  target: URL;
  /** PEM CA certificates the upstream's certificate must chain to (https); absent: the system's. */
  ca?: Buffer;
  connectTimeoutMs: number;
  logger: Logger;
  /** Called once per request with the status the device got (upstream's, or 502) and the time to the answer's head. */
  answered?(status: number, headMs: number): void;
}

/** Forwards one request, `rest` being its path below the mount point (with the query), and streams the answer back. */
export type Forward = (req: IncomingMessage, res: ServerResponse, rest: string) => void;

/**
 * A streaming reverse proxy to one upstream endpoint: the request's headers (less the hop-by-hop
 * ones) and body go on unchanged as they arrive, the answer comes back the same way, so a Ping
 * held for many minutes or a large attachment never sits in memory. An upstream that cannot be
 * reached gets the device a short 502, never a stack trace. A request without a body or with a
 * small one (kept while it goes up) is sent once more on a fresh connection when a kept-alive
 * connection turns out closed by the upstream as it is reused, before any answer.
 */
export function createForwarder(options: ForwarderOptions): Forward {
  const { target, logger } = options;
  const secure = target.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
    : new http.Agent({ keepAlive: true });
  // A resend goes on a connection of its own, never another idle one that may be just as stale.
  const freshAgent = secure
    ? new https.Agent({ keepAlive: false, ...(options.ca ? { ca: options.ca } : {}) })
    : new http.Agent({ keepAlive: false });
  const request = secure ? https.request : http.request;
  const basePath = target.pathname.replace(/\/+$/, '');

  return (req, res, rest) => {
    const started = performance.now();
    const headers = endToEndHeaders(req.rawHeaders).filter((_, i, all) => {
      const name = (i % 2 === 0 ? all[i] : all[i - 1])!.toLowerCase();
      // Host names the upstream, the X-Forwarded ones are written below, and Node already
      // answered any Expect: 100-continue itself.
      return !REPLACED.has(name);
    });
    headers.push('Host', target.host);
    headers.push('X-Forwarded-For', forwardedFor(req));
    headers.push('X-Forwarded-Proto', (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
    if (req.headers.host) headers.push('X-Forwarded-Host', req.headers.host);

    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      options.answered?.(status, performance.now() - started);
    };
    // A small body is kept while it goes up, so the request can be sent again (see the error handler).
    const kept = replayableLength(req) === undefined ? undefined : ([] as Buffer[]);
    let retried = false;

    const send = (via: http.Agent): http.ClientRequest => {
      const upstream = request({
        agent: via,
        method: req.method,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port || (secure ? 443 : 80),
        path: `${basePath}${rest}`,
        headers,
      });
      const connectTimer = setTimeout(
        () => upstream.destroy(new ConnectTimeout(options.connectTimeoutMs)),
        options.connectTimeoutMs,
      );
      upstream.once('socket', (socket: Socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      upstream.once('close', () => clearTimeout(connectTimer));

      upstream.once('response', (answer) => {
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        for (const { name, values } of groupHeaders(endToEndHeaders(answer.rawHeaders)).values())
          res.setHeader(name, values.length === 1 ? values[0]! : values);
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage);
        finish(answer.statusCode ?? 502);
        pipeline(answer, res, (error) => {
          if (error && !res.writableFinished) res.destroy();
        });
      });
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // The device went away first: nothing to answer, nothing wrong upstream.
        if (req.destroyed && !req.complete) return;
        // The upstream closed a kept-alive connection just as it was reused: once more on a new one.
        if (kept && !retried && upstream.reusedSocket && isStaleConnection(error)) {
          retried = true;
          current = send(freshAgent);
          current.write(Buffer.concat(kept));
          if (req.readableEnded) current.end();
          return;
        }
        logger.warn(
          { upstream: target.origin, code: error.code ?? error.name, detail: error.message },
          'ActiveSync upstream unreachable',
        );
        finish(502);
        res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '30' });
        res.end('502 Bad Gateway: the mail server cannot be reached.\n');
      });
      return upstream;
    };

    let current = send(agent);
    // A device that hangs up (a Ping it abandons) ends the upstream request too.
    res.once('close', () => {
      if (!res.writableFinished) current.destroy();
    });
    if (!kept) {
      pipeline(req, current, () => {});
      return;
    }
    // Still streamed up as it arrives (at most 64 KiB, so no back-pressure needed), to the current attempt.
    req.on('data', (chunk: Buffer) => {
      kept.push(chunk);
      current.write(chunk);
    });
    req.once('end', () => current.end());
  };
}

/** The largest request body kept for a resend: an EAS command, never an attachment or a mail. */
const REPLAYABLE_BODY_BYTES = 64 * 1024;

/** The request body's length when it is small enough to keep for a resend; undefined for a large or chunked one. */
function replayableLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding']) return undefined;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isInteger(length) && length <= REPLAYABLE_BODY_BYTES ? length : undefined;
}

/** The errors of a kept-alive connection the upstream closed as it was reused (Node's `request.reusedSocket` pattern). */
function isStaleConnection(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up';
}

/** Request headers the forwarder writes itself rather than passing on. */
const REPLACED = new Set(['host', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/** The connection to the upstream took longer than the configured time. */
class ConnectTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no connection within ${ms} ms`);
  }
}

function forwardedFor(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? '';
  const earlier = req.headers['x-forwarded-for'];
  return earlier ? `${earlier}, ${peer}` : peer;
}
