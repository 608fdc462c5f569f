/**
 * Smooth weighted round-robin, as nginx balances upstreams: each pick adds every candidate's
 * weight to its score, takes the highest score and lowers it by the total. The sequence is
 * deterministic and interleaved (weights 3:1 give a a b a, a a b a ...), never bursty.
 */
export class SmoothWeighted {
  private readonly scores = new Map<string, number>();

  /** The next choice among `candidates` (names with weights); undefined when there are none. */
  pick(candidates: ReadonlyArray<{ gateway: string; weight: number }>): string | undefined {
    let total = 0;
    let best: { gateway: string; score: number } | undefined;
    for (const { gateway, weight } of candidates) {
      total += weight;
      const score = (this.scores.get(gateway) ?? 0) + weight;
      this.scores.set(gateway, score);
      if (!best || score > best.score) best = { gateway, score };
    }
    if (best) this.scores.set(best.gateway, best.score - total);
    return best?.gateway;
  }
}
