import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../../observability/logger.js';
import type { RadiusClient, RadiusClients } from './clients.js';
import type { Dictionary } from './dictionary.js';
import type { DropLog } from './drop-log.js';
import { DuplicateCache } from './duplicates.js';
import type { RadiusAnswer } from './exchange.js';
import { ATTRIBUTES, CODES, messageAuthenticatorOf, parsePacket, type RadiusPacket } from './packet.js';
import { readRequestAttributes } from './request-attributes.js';

/** The shared secret of RADIUS over TLS (RFC 6614 §2.3). */
const RADSEC_SECRET = 'radsec';

/** What the UDP server needs. */
export interface RadiusServerDeps {
  host: string;
  port: number;
  /** The clients now (they are reloaded). */
  clients: () => RadiusClients;
  dictionary: Dictionary;
  answer: (
    client: RadiusClient,
    attributes: Record<string, unknown>,
    source: string,
  ) => Promise<RadiusAnswer | undefined>;
  duplicates: DuplicateCache;
  drops: DropLog;
  /** Counts the answers by result (accept, reject, challenge, and the reject's reason). */
  answered: (result: string) => void;
  logger: Logger;
}

/**
 * RADIUS authentication over UDP (RFC 2865): finds the client by source address, checks the
 * packet and its Message-Authenticator before anything else, answers retransmissions from the
 * duplicate cache, and sends back what the exchange decided, signed, with the
 * Message-Authenticator first and the Proxy-State attributes copied (RFC 2865 §5.33).
 * Whatever is not from a client, not well-formed or not authentic gets no answer.
 */
export class RadiusServer {
  private socket: Socket | undefined;

  constructor(private readonly deps: RadiusServerDeps) {}

  /** Binds the socket (`::` takes IPv4 and IPv6 alike). */
  async listen(): Promise<void> {
    const { host, port } = this.deps;
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: false });
    socket.on('message', (datagram, remote) => this.receive(socket, datagram, remote));
    socket.on('error', (error) => this.deps.logger.error({ err: error }, 'RADIUS socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
  }

  /** Where the socket listens (port 0 in the configuration: the one the system chose). */
  address(): { address: string; port: number } {
    if (!this.socket) throw new Error('the RADIUS server is not listening');
    return this.socket.address();
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private receive(socket: Socket, datagram: Buffer, remote: RemoteInfo): void {
    this.handle(datagram, remote)
      .then((answer) => {
        if (answer && this.socket === socket) socket.send(answer, remote.port, remote.address);
      })
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error, address: remote.address }, 'RADIUS request failed'),
      );
  }

  /**
   * The answer to one packet, or undefined to drop it. Over TLS (RadSec, RFC 6614 §2.3) only
   * clients marked `radsec` are answered, the shared secret is `radsec` and the TLS connection,
   * not a Message-Authenticator, protects the packet.
   */
  async handle(
    datagram: Buffer,
    remote: { address: string; port: number },
    over: 'udp' | 'tls' = 'udp',
  ): Promise<Buffer | undefined> {
    const { drops, duplicates } = this.deps;
    const address = remote.address;
    const found = this.deps.clients().find(address);
    if (!found || (over === 'tls' && !found.radsec))
      return void drops.dropped('unknown_client', undefined, address);
    const client =
      over === 'tls' ? { ...found, secret: RADSEC_SECRET, requireMessageAuthenticator: false } : found;
    const packet = parsePacket(datagram);
    if (typeof packet === 'string') return void drops.dropped('malformed', client.name, address, packet);
    if (packet.code !== CODES.accessRequest && packet.code !== CODES.statusServer)
      return void drops.dropped('unsupported_code', client.name, address, `code ${packet.code}`);
    const authenticator = messageAuthenticatorOf(packet, Buffer.from(client.secret));
    if (authenticator === 'invalid') return void drops.dropped('bad_authenticator', client.name, address);
    // Status-Server (RFC 5997) always needs one; an Access-Request unless the client is exempted.
    if (
      authenticator === 'missing' &&
      (client.requireMessageAuthenticator || packet.code === CODES.statusServer)
    )
      return void drops.dropped('no_message_authenticator', client.name, address);
    const key = DuplicateCache.key(address, remote.port, packet.identifier, packet.authenticator);
    const { duplicate, answer } = duplicates.answer(key, () => this.work(client, packet, address));
    if (duplicate) this.deps.answered('duplicate');
    return answer;
  }

  private async work(
    client: RadiusClient,
    packet: RadiusPacket,
    address: string,
  ): Promise<Buffer | undefined> {
    if (packet.code === CODES.statusServer)
      return this.encode(client, packet, { code: 'Access-Accept', attributes: [], result: 'status' });
    let attributes: Record<string, unknown>;
    try {
      attributes = readRequestAttributes(packet, Buffer.from(client.secret));
    } catch (error) {
      return void this.deps.drops.dropped('malformed', client.name, address, (error as Error).message);
    }
    const answer = await this.deps.answer(client, attributes, address);
    if (!answer) return undefined;
    return this.encode(client, packet, answer);
  }

  private encode(client: RadiusClient, packet: RadiusPacket, answer: RadiusAnswer): Buffer {
    const proxyStates = packet.attributes
      .filter((a) => a.type === ATTRIBUTES.proxyState)
      .map((a) => ({ name: 'Proxy-State', value: Buffer.from(a.value) }));
    const bytes = this.deps.dictionary.encode(
      answer.code,
      packet,
      [...answer.attributes, ...proxyStates],
      client.secret,
    );
    this.deps.answered(answer.result);
    return bytes;
  }
}
