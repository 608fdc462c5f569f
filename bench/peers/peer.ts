import type { VirtualUser } from '../load.js';
import type { PeerId, ScenarioId } from '../settings.js';

/** Another identity server the journeys run against, installed and started by the bench. */
export interface Peer {
  id: PeerId;
  /** Product and version, as printed. */
  name: string;
  /** Debian packages it needs (installed when missing). */
  packages: readonly string[];
  /** The journeys it can play (Passgate's scenario ids). */
  journeys: readonly ScenarioId[];
  /** Configures and starts it from the rendered peers folder; resolves once it answers. */
  start(peersDir: string): Promise<RunningPeer>;
}

/** A started peer. */
export interface RunningPeer {
  /** Root processes whose trees are its server CPU (web server, FastCGI or PHP-FPM master). */
  pids(): number[];
  /** Virtual users for one journey, one per in-flight sign-in; their first op checks the result fully. */
  prepare(journey: ScenarioId, count: number): Promise<VirtualUser[]>;
  stop(): Promise<void>;
}
