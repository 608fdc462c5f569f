// Shared/exclusive leases on a served DC by holder (a test worker's pid). An exclusive lease waits
// until no other holder has a shared one, except holders that are themselves waiting for an
// exclusive lease (two files that both restart the DC must not wait for each other). Holders whose
// process died are forgotten.
import { processAlive } from './pids.js';

/** A lease's kind: 'shared' to use the DC, 'exclusive' to have it alone (to stop or restart it). */
export type LeaseMode = 'shared' | 'exclusive';

/** Who holds leases on a served DC, as the control endpoint's /status reports it. */
export interface LeaseState {
  shared: Record<string, number>;
  exclusive: string | null;
  waiting: number;
}

/** The leases of one served DC. */
export interface Leases {
  /** Resolves once `holder` has the lease. */
  acquire(holder: string, mode: LeaseMode): Promise<void>;
  release(holder: string, mode: LeaseMode): void;
  describe(): LeaseState;
  /** Grants every waiting wish and stops looking for dead holders. */
  close(): void;
}

interface Wish {
  holder: string;
  mode: LeaseMode;
  resolve: () => void;
}

/** A holder that is not a process id (a name) never dies. */
function holderAlive(holder: string): boolean {
  const pid = Number(holder);
  return !Number.isInteger(pid) || pid <= 0 || processAlive(pid);
}

/** New, empty leases; dead holders are looked for every 500 ms while someone waits. */
export function createLeases(): Leases {
  const shared = new Map<string, number>(); // holder -> count
  const exclusive: { holder: string | null; count: number } = { holder: null, count: 0 };
  const queue: Wish[] = [];
  const grant = () => {
    for (const [holder] of shared) if (!holderAlive(holder)) shared.delete(holder);
    if (exclusive.holder && !holderAlive(exclusive.holder))
      Object.assign(exclusive, { holder: null, count: 0 });
    for (let i = 0; i < queue.length; ) {
      const wish = queue[i]!;
      if (!holderAlive(wish.holder)) {
        queue.splice(i, 1);
        continue;
      }
      let ok = exclusive.holder === null || exclusive.holder === wish.holder;
      if (ok && wish.mode === 'exclusive') {
        const waitingExclusive = new Set(queue.filter((w) => w.mode === 'exclusive').map((w) => w.holder));
        ok = [...shared.keys()].every((h) => h === wish.holder || waitingExclusive.has(h));
      }
      if (!ok) {
        i++;
        if (wish.mode === 'exclusive') break; // first come, first served for exclusive wishes
        continue;
      }
      queue.splice(i, 1);
      if (wish.mode === 'shared') shared.set(wish.holder, (shared.get(wish.holder) ?? 0) + 1);
      else Object.assign(exclusive, { holder: wish.holder, count: exclusive.count + 1 });
      wish.resolve();
    }
  };
  const timer = setInterval(() => queue.length > 0 && grant(), 500);
  timer.unref();
  return {
    acquire(holder, mode) {
      return new Promise((resolve) => {
        queue.push({ holder, mode, resolve });
        grant();
      });
    },
    release(holder, mode) {
      if (mode === 'exclusive' && exclusive.holder === holder) {
        exclusive.count--;
        if (exclusive.count <= 0) Object.assign(exclusive, { holder: null, count: 0 });
      }
      const held = shared.get(holder);
      if (mode === 'shared' && held !== undefined) {
        if (held <= 1) shared.delete(holder);
        else shared.set(holder, held - 1);
      }
      grant();
    },
    describe() {
      return { shared: Object.fromEntries(shared), exclusive: exclusive.holder, waiting: queue.length };
    },
    close() {
      clearInterval(timer);
      for (const wish of queue.splice(0)) wish.resolve();
    },
  };
}
