import type { PDU, Session } from 'smpp';
import { describeError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { DispatchErrors } from '../errors.js';

/** How the persistent SMPP link behaves. */
export interface SmppLinkOptions {
  gateway: string;
  url: string;
  bind: { system_id: string; password: string; system_type: string };
  enquireLinkMs: number;
  bindTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Submits awaiting their response at once (the SMSC's window). */
  window: number;
  logger: Logger;
  /** Every deliver_sm, after it has been answered. */
  onDeliver(pdu: PDU): void;
}

type Smpp = typeof import('smpp');

/**
 * One persistent bind_transceiver to an SMSC: reconnects with a growing delay, keeps the link
 * alive with enquire_link (a link that stops answering is dropped and rebuilt), answers every
 * deliver_sm, and lets at most `window` submits wait for their response.
 */
export class SmppLink {
  private session: Session | undefined;
  private bound = false;
  private closed = false;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly pending = new Set<(error: Error) => void>();
  private inFlight = 0;

  constructor(
    private readonly lib: Promise<Smpp>,
    private readonly options: SmppLinkOptions,
  ) {
    this.delay = options.reconnectMinMs;
  }

  /** Starts connecting in the background. */
  start(): void {
    this.lib.then(
      (smpp) => this.connect(smpp),
      (error) =>
        this.options.logger.error(
          { gateway: this.options.gateway, error: describeError(error) },
          'smpp: cannot load the smpp package',
        ),
    );
  }

  /** Sends one submit_sm once bound and a window slot is free; resolves with its response. */
  async submit(fields: Record<string, unknown>, signal: AbortSignal): Promise<PDU> {
    if (signal.aborted) throw signal.reason;
    while (!this.bound || this.inFlight >= this.options.window) await this.wait(signal);
    this.inFlight++;
    try {
      return await new Promise<PDU>((resolve, reject) => {
        const fail = (error: Error) => done(() => reject(error));
        const onAbort = () => fail(signal.reason as Error);
        const done = (settle: () => void) => {
          this.pending.delete(fail);
          signal.removeEventListener('abort', onAbort);
          settle();
        };
        this.pending.add(fail);
        signal.addEventListener('abort', onAbort, { once: true });
        const sent = this.session?.submit_sm(fields, (pdu) => done(() => resolve(pdu)));
        if (!sent)
          fail(DispatchErrors.GATEWAY_UNAVAILABLE({ detail: `${this.options.gateway}: link not writable` }));
      });
    } finally {
      this.inFlight--;
      this.wake();
    }
  }

  /** Unbinds (briefly waiting for the answer) and stops reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const session = this.session;
    if (!session || session.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => session.destroy(), 1000);
      session.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (!(this.bound && session.unbind({}, () => session.close()))) session.destroy();
    });
  }

  private connect(smpp: Smpp): void {
    if (this.closed) return;
    const { gateway, logger } = this.options;
    const session = smpp.connect({ url: this.options.url });
    this.session = session;
    let answered = true;
    const keepAlive = setInterval(() => {
      if (!answered) return session.destroy();
      answered = false;
      session.enquire_link({}, () => {
        answered = true;
      });
    }, this.options.enquireLinkMs).unref();
    const bindTimer = setTimeout(() => session.destroy(), this.options.bindTimeoutMs);
    session.on('connect', () => {
      // PDUs are small and answered one by one: Nagle's algorithm would hold each for an ACK.
      session.socket.setNoDelay(true);
      session.bind_transceiver({ ...this.options.bind, interface_version: 0x34 }, (pdu) => {
        clearTimeout(bindTimer);
        if (pdu.command_status !== 0) {
          logger.error({ gateway, status: pdu.command_status }, 'smpp: bind_transceiver refused');
          return session.destroy();
        }
        this.bound = true;
        this.delay = this.options.reconnectMinMs;
        logger.info({ gateway }, 'smpp: bound as transceiver');
        this.wake();
      });
    });
    session.on('deliver_sm', (pdu: PDU) => {
      session.send(pdu.response());
      this.options.onDeliver(pdu);
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('error', (error: Error) =>
      logger.warn({ gateway, error: describeError(error) }, 'smpp: link error'),
    );
    session.on('close', () => {
      clearInterval(keepAlive);
      clearTimeout(bindTimer);
      this.bound = false;
      for (const fail of [...this.pending])
        fail(DispatchErrors.GATEWAY_UNAVAILABLE({ detail: `${gateway}: link closed before submit_sm_resp` }));
      if (this.closed) return;
      logger.warn({ gateway, retryInMs: this.delay }, 'smpp: link closed, reconnecting');
      this.timer = setTimeout(() => this.connect(smpp), this.delay);
      this.timer.unref();
      this.delay = Math.min(this.delay * 2, this.options.reconnectMaxMs);
    });
  }

  private wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(resume);
        reject(signal.reason);
      };
      const resume = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.add(resume);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const resume of waiting) resume();
  }
}
