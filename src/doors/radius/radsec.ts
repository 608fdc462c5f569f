import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../../observability/logger.js';

/** The largest RADIUS packet (RFC 2865 §3); a Length outside 20–4096 ends the connection. */
const MAX_LENGTH = 4096;

/** What the RadSec listener needs. */
export interface RadSecDeps {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  /** CA of the client certificates: a client must present one it issued. */
  caFile: string;
  /** The answer to one packet from a client address, or undefined (no answer). */
  handle(packet: Buffer, remote: { address: string; port: number }): Promise<Buffer | undefined>;
  logger: Logger;
}

/**
 * RADIUS over TLS (RFC 6614): TCP with mutual TLS (TLS 1.2 or later, a client certificate of
 * the configured CA required), RADIUS packets framed by their Length field on the stream, each
 * answered on the connection it came on. A malformed frame closes the connection (§2.6).
 */
export class RadSecServer {
  private server: Server | undefined;
  private readonly sockets = new Set<TLSSocket>();

  constructor(private readonly deps: RadSecDeps) {}

  async listen(): Promise<void> {
    const { deps } = this;
    const server = createServer(
      {
        cert: readFileSync(deps.certFile),
        key: readFileSync(deps.keyFile),
        ca: readFileSync(deps.caFile),
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (socket) => this.serve(socket),
    );
    server.on('tlsClientError', (error, socket) =>
      deps.logger.warn({ address: socket.remoteAddress, err: error.message }, 'RadSec TLS handshake refused'),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(deps.port, deps.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Where the listener is (port 0 in the configuration: the one the system chose). */
  address(): { address: string; port: number } {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('RadSec is not listening');
    return address;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt16BE(2);
        if (length < 20 || length > MAX_LENGTH) {
          this.deps.logger.warn(remote, `RadSec frame of length ${length}: connection closed`);
          socket.destroy();
          return;
        }
        if (buffered.length < length) return;
        const packet = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        this.deps
          .handle(Buffer.from(packet), remote)
          .then((answer) => {
            if (answer && !socket.destroyed) socket.write(answer);
          })
          .catch((error: unknown) =>
            this.deps.logger.error({ err: error, ...remote }, 'RadSec request failed'),
          );
      }
    });
  }
}
