// What test workers do with the DC the run shares, through its control endpoint (see serve.ts).
import type { SambaDc, SambaProvided } from './domain.js';
import type { LeaseMode, LeaseState } from './leases.js';

async function control(
  dc: SambaDc,
  action: string,
  params: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  if (!dc.controlUrl)
    throw new Error('this DC has no control endpoint (start it with serve() or samba/cli.ts start)');
  const url = new URL(action, dc.controlUrl);
  url.searchParams.set('holder', String(process.pid));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(300_000) });
  const body = (await res.json()) as Record<string, unknown>;
  if (!body.ok) throw new Error(`samba control ${action}: ${body.error}`);
  return body;
}

/**
 * Takes a lease on the shared DC for this process (a test file): 'shared' in `beforeAll` of a file
 * that uses the DC, 'exclusive' to have it alone. Returns the function that releases it.
 */
export async function holdDc(dc: SambaDc, mode: LeaseMode = 'shared'): Promise<() => Promise<void>> {
  await control(dc, '/acquire', { mode });
  return () => control(dc, '/release', { mode }).then(() => undefined);
}

/** Stops the shared DC (waiting for the files holding shared leases); `startDc` brings it back. */
export async function stopDc(dc: SambaDc): Promise<void> {
  await control(dc, '/stop');
}

/** Starts the shared DC again after `stopDc`. */
export async function startDc(dc: SambaDc): Promise<void> {
  await control(dc, '/start');
}

/** Restarts the shared DC (waiting for the files holding shared leases). */
export async function restartDc(dc: SambaDc): Promise<void> {
  await control(dc, '/restart');
}

/** The served DC's samba process id (null while stopped) and who holds leases on it. */
export async function dcStatus(dc: SambaDc): Promise<{ pid: number | null; leases: LeaseState }> {
  const { pid, leases } = await control(dc, '/status');
  return { pid: pid as number | null, leases: leases as LeaseState };
}

/** The details a test run was given (`inject('samba')`), or an error naming why it has none. */
export function requireDc(provided: SambaProvided | undefined): SambaDc {
  if (!provided || 'unavailable' in provided) {
    throw new Error(`no Samba AD DC for this run: ${provided?.unavailable ?? 'not provided'}`);
  }
  return provided;
}
