/**
 * Types of the parts of the `smpp` package (0.5, SMPP 3.4 client and server) Passgate uses; the
 * package ships none.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** One protocol data unit: its header plus every field and TLV by name. */
    interface PDU {
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      [field: string]: unknown;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): PDU;
    }

    /** Sends a command PDU; the callback gets its response. False when the socket is not writable. */
    type Command = (options?: Record<string, unknown>, onResponse?: (pdu: PDU) => void) => boolean;

    /** One SMPP connection, client or server side. */
    interface Session extends EventEmitter {
      readonly socket: Socket;
      send(pdu: PDU, onResponse?: (pdu: PDU) => void, onSent?: (pdu: PDU) => void): boolean;
      bind_transceiver: Command;
      submit_sm: Command;
      deliver_sm: Command;
      enquire_link: Command;
      unbind: Command;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      on(event: 'pdu' | string, listener: (pdu: PDU) => void): this;
      on(event: 'connect' | 'close', listener: () => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
    }

    /** An SMSC-side listener; `listen(port, host)` as for a net.Server. */
    interface Server extends NetServer {
      readonly sessions: Session[];
    }

    interface ConnectOptions {
      url?: string;
      host?: string;
      port?: number;
      auto_enquire_link_period?: number;
    }

    function connect(options: ConnectOptions, listener?: () => void): Session;
    function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;

    const ESM_CLASS: Readonly<Record<string, number>>;
    const MESSAGE_STATE: Readonly<Record<string, number>>;
    const ENCODING: Readonly<Record<string, number>>;
    const errors: Readonly<Record<string, number>>;
  }

  export = smpp;
}
