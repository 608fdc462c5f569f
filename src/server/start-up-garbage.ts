import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * How long after ready: V8 gives the young generation back only when the allocation rate of the
 * last few seconds is low, which it is not while the application is being composed.
 */
const AFTER_READY_MS = 10_000;

/**
 * Runs one full garbage collection 10 s after ready (unless the server stops first): loading and
 * composing the application leave a young generation grown to its maximum and start-up garbage,
 * which an idle server would otherwise keep resident until load triggers a major collection
 * (about 12 MB of RSS per process). A server already busy by then keeps its young generation.
 */
export function collectStartUpGarbage(stopping: AbortSignal): void {
  const timer = setTimeout(collectGarbage, AFTER_READY_MS).unref();
  stopping.addEventListener('abort', () => clearTimeout(timer), { once: true });
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
