import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import radius from 'radius';

/** How long the load generator waits for an answer before it counts the request as failed. */
const TIMEOUT_MS = 3000;

/**
 * One RADIUS NAS of the load generator: a UDP socket with one Access-Request outstanding at a
 * time (a closed loop). Requests carry Message-Authenticator (RFC 3579: HMAC-MD5 under the secret
 * over the packet with that attribute zeroed, coded by the `radius` package), which Passgate
 * requires against BLAST-RADIUS; answers are checked (Response Authenticator, RFC 2865) and must be Access-Accept.
 */
export class RadiusNas {
  private readonly socket: Socket;
  private identifier = 0;
  private pending?: { packet: Buffer; identifier: number; settle: (error?: Error) => void };

  constructor(
    private readonly server: { host: string; port: number },
    private readonly secret: string,
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (message) => this.answer(message));
  }

  /** Sends a PAP Access-Request and resolves on Access-Accept; a reject or a timeout throws. */
  accessRequest(userName: string, password: string): Promise<void> {
    this.identifier = (this.identifier + 1) & 255;
    const packet = radius.encode({
      code: 'Access-Request',
      secret: this.secret,
      identifier: this.identifier,
      authenticator: randomBytes(16),
      attributes: [
        ['User-Name', userName],
        ['User-Password', password],
        ['NAS-IP-Address', '127.0.0.1'],
        ['NAS-Port', 1],
      ],
      add_message_authenticator: true,
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error('timeout')), TIMEOUT_MS);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.pending = undefined;
        if (error) reject(error);
        else resolve();
      };
      this.pending = { packet, identifier: this.identifier, settle };
      this.socket.send(packet, this.server.port, this.server.host);
    });
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }

  private answer(message: Buffer): void {
    const pending = this.pending;
    if (!pending || message[1] !== pending.identifier) return;
    // RFC 2865: MD5(Code, Identifier, Length, Request Authenticator, Attributes, secret).
    const expected = createHash('md5')
      .update(message.subarray(0, 4))
      .update(pending.packet.subarray(4, 20))
      .update(message.subarray(20))
      .update(this.secret)
      .digest();
    const valid = message.length >= 20 && expected.equals(message.subarray(4, 20));
    if (!valid) pending.settle(new Error('bad Response Authenticator'));
    else if (message[0] === 2) pending.settle();
    else pending.settle(new Error(message[0] === 3 ? 'Access-Reject' : `RADIUS code ${message[0]}`));
  }
}

/** A UDP port that is free on loopback right now. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
