import type { Logger } from '../../observability/logger.js';

/** Why a request got no answer (a fixed set: the metric's label). */
export type DropReason =
  | 'unknown_client'
  | 'malformed'
  | 'unsupported_code'
  | 'no_message_authenticator'
  | 'bad_authenticator';

const MESSAGES: Record<DropReason, string> = {
  unknown_client: 'RADIUS request from an address no client file names: dropped',
  malformed: 'malformed RADIUS packet: dropped',
  unsupported_code: 'RADIUS packet of a code Passgate does not answer: dropped',
  no_message_authenticator:
    'Access-Request without Message-Authenticator: dropped (BLAST-RADIUS protection; configure the client to send it, or set requireMessageAuthenticator: false for this client)',
  bad_authenticator:
    'RADIUS request with a wrong Message-Authenticator (is the shared secret the same on both sides?): dropped',
};

/**
 * Logs a dropped request at most once per client and reason per period (a flood of them must
 * not flood the log), and counts every one.
 */
export class DropLog {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly count: (reason: DropReason) => void,
    private readonly periodMs: number,
    private readonly now: () => number,
  ) {}

  dropped(reason: DropReason, client: string | undefined, address: string, detail?: string): void {
    this.count(reason);
    const key = `${client ?? ''}|${reason}`;
    const now = this.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.periodMs) return;
    this.last.set(key, now);
    this.logger.warn(
      {
        client: client ?? null,
        address,
        reason,
        ...(detail ? { detail } : {}),
        periodMinutes: this.periodMs / 60_000,
      },
      `${MESSAGES[reason]} (logged once per client and reason every ${this.periodMs / 60_000} min)`,
    );
  }
}
