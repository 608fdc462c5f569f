import { createHash, createHmac, randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/** How long the load generator waits for an answer before it counts the request as failed. */
const TIMEOUT_MS = 3000;

/**
 * One RADIUS NAS of the load generator: a UDP socket with one Access-Request outstanding at a
 * time (a closed loop). Requests carry Message-Authenticator (RFC 3579: HMAC-MD5 under the secret
 * over the packet with that attribute zeroed), which Passgate
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
    const packet = accessRequest(this.identifier, userName, password, this.secret);
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

/** Random bytes drawn at once for 256 Request Authenticators (one system call instead of 256). */
const randomPool = Buffer.alloc(4096);
let randomUsed = randomPool.length;

function requestAuthenticator(): Buffer {
  if (randomUsed + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomUsed = 0;
  }
  randomUsed += 16;
  return randomPool.subarray(randomUsed - 16, randomUsed);
}

const ATTRIBUTE = { userName: 1, userPassword: 2, nasIpAddress: 4, nasPort: 5, messageAuthenticator: 80 };

/**
 * An Access-Request coded straight into bytes (RFC 2865 §3, §5.2; RFC 3579 §3.2): User-Name, the
 * hidden User-Password, NAS-IP-Address 127.0.0.1, NAS-Port 1 and the Message-Authenticator. Coded
 * by hand so that the load generator costs less CPU than the servers it measures (the `radius`
 * package took more per request than FreeRADIUS itself); test/bench/radius.test.ts checks that
 * Passgate accepts what it sends.
 */
function accessRequest(identifier: number, userName: string, password: string, secret: string): Buffer {
  const name = Buffer.from(userName, 'utf8');
  const plain = Buffer.from(password, 'utf8');
  const hidden = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(hidden);
  const authenticator = requestAuthenticator();
  // c(1) = p(1) XOR MD5(secret + Request Authenticator), c(i) = p(i) XOR MD5(secret + c(i-1)).
  for (let block = 0, previous = authenticator; block < hidden.length; block += 16) {
    const pad = createHash('md5').update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) hidden[block + i]! ^= pad[i]!;
    previous = hidden.subarray(block, block + 16);
  }
  const length = 20 + (2 + name.length) + (2 + hidden.length) + 6 + 6 + 18;
  const packet = Buffer.alloc(length);
  packet[0] = 1;
  packet[1] = identifier;
  packet.writeUInt16BE(length, 2);
  authenticator.copy(packet, 4);
  let at = 20;
  const attribute = (type: number, value: Buffer) => {
    packet[at] = type;
    packet[at + 1] = value.length + 2;
    value.copy(packet, at + 2);
    at += value.length + 2;
  };
  attribute(ATTRIBUTE.userName, name);
  attribute(ATTRIBUTE.userPassword, hidden);
  attribute(ATTRIBUTE.nasIpAddress, Buffer.from([127, 0, 0, 1]));
  attribute(ATTRIBUTE.nasPort, Buffer.from([0, 0, 0, 1]));
  const signatureAt = at + 2;
  attribute(ATTRIBUTE.messageAuthenticator, Buffer.alloc(16));
  createHmac('md5', secret).update(packet).digest().copy(packet, signatureAt);
  return packet;
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
