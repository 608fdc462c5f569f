/**
 * The duplicate-request cache of RFC 5080 §2.2.2: a retransmission (same source address and
 * port, identifier and Request Authenticator) gets the answer of the first request — or waits
 * for it while it is being worked out — so that it never sends a second passcode or spends a
 * code. Entries live `ttlMs`; at most `maxEntries` are kept (the oldest go first).
 */
export class DuplicateCache {
  private readonly entries = new Map<string, { answer: Promise<Buffer | undefined>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  /** The key of a request from a source. */
  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString('base64')}`;
  }

  /**
   * The cached answer for `key`, else the one `work` gives (cached; an undefined answer — a
   * request left unanswered so that the client tries another server — is forgotten at once).
   * `duplicate` tells whether this was a retransmission.
   */
  answer(
    key: string,
    work: () => Promise<Buffer | undefined>,
  ): { duplicate: boolean; answer: Promise<Buffer | undefined> } {
    const now = this.now();
    const known = this.entries.get(key);
    if (known && known.expiresAt > now) return { duplicate: true, answer: known.answer };
    if (known) this.entries.delete(key);
    this.evict(now);
    const answer = work().then(
      (result) => {
        if (result === undefined) this.entries.delete(key);
        return result;
      },
      (error: unknown) => {
        this.entries.delete(key);
        throw error;
      },
    );
    this.entries.set(key, { answer, expiresAt: now + this.ttlMs });
    return { duplicate: false, answer };
  }

  /** Entries held now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    // Map order is insertion order, so expired entries and the oldest ones are at the front.
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
