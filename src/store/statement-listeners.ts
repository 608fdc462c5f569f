/** Told the SQL text of every statement sent to the database (transaction control included). */
export type StatementListener = (sql: string) => void;

/**
 * Who wants to see the statements a database runs: tests that bound the SQL of a sign-in, and
 * diagnostics. Costs one length check per statement while nobody listens.
 */
export class StatementListeners {
  private readonly listeners = new Set<StatementListener>();

  /** Starts telling `listener` every statement; the returned function stops it. */
  add(listener: StatementListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells every listener one statement; a listener that throws does not break the query. */
  tell(sql: string): void {
    if (this.listeners.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(sql);
      } catch {
        // A diagnostic must never fail the store.
      }
    }
  }
}
