/** Thresholds of a circuit breaker, from the load-balancing policy in force. */
export interface BreakerSettings {
  failures: number;
  coolDownSeconds: number;
}

/**
 * Remembers that a gateway keeps failing so that messages stop waiting for it: after
 * `failures` consecutive failures it is open (skipped) for the cool-down; then it is half-open
 * and one message tries it: success closes it, failure opens it for another cool-down.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private trial = false;

  /** closed, open (skipped) or half-open (next message may try it) at `now`. */
  state(now: number): 'closed' | 'open' | 'half-open' {
    if (this.openUntil === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a message may try the gateway now (a half-open one only when no trial is running). */
  available(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half-open' && !this.trial);
  }

  /** Notes the start of an attempt: in half-open state it is the one trial. */
  begin(now: number): void {
    if (this.state(now) === 'half-open') this.trial = true;
  }

  /** The gateway accepted a message: closed again. */
  success(): void {
    this.consecutive = 0;
    this.openUntil = 0;
    this.trial = false;
  }

  /** The gateway failed; true when this failure opened the breaker. */
  failure(now: number, settings: BreakerSettings): boolean {
    this.consecutive++;
    const wasTrial = this.trial;
    this.trial = false;
    if (!wasTrial && this.consecutive < settings.failures) return false;
    this.openUntil = now + settings.coolDownSeconds * 1000;
    return true;
  }
}
