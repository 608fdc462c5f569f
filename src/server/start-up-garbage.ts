import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Two full collections, 5 and 10 s after ready. V8 gives the young generation back only in a
 * collection that sees a low allocation rate since the one before; the first collection after
 * start-up sees the rate of the start-up itself, the second the idle seconds between them.
 */
const COLLECTIONS_AFTER_READY_MS = [5_000, 10_000];

/**
 * Runs full garbage collections after ready (unless the server stops first): loading and
 * composing the application leave a young generation grown to its maximum and start-up garbage,
 * which an idle server would otherwise keep resident until load triggers a major collection
 * (about 12 MB of RSS per process). A server already busy by then keeps its young generation.
 */
export function collectStartUpGarbage(stopping: AbortSignal): void {
  const timers = COLLECTIONS_AFTER_READY_MS.map((ms) => setTimeout(collectGarbage, ms).unref());
  stopping.addEventListener('abort', () => timers.forEach(clearTimeout), { once: true });
}

/** `gc` comes from a throw-away context, so the application's global object never gets one. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  try {
    (vm.runInNewContext('gc') as () => void)();
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}
