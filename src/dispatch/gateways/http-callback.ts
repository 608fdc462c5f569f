import type { Clock } from '../../clock.js';
import type { Gateway, Receipt } from '../gateway.js';
import { readText } from '../json-path.js';
import type { HttpRequestSettings } from './http-settings.js';

/**
 * Reads a provider's status callback (a form or a JSON object, or a JSON array of them) into
 * receipts: statuses listed as delivered or failed become receipts, other (intermediate) ones
 * such as `queued` or `sent` are acknowledged and ignored. A body without the configured id and
 * status fields is not this gateway's: undefined.
 */
export function compileCallbackParser(
  receipts: NonNullable<HttpRequestSettings['receipts']>,
  gateway: string,
  clock: Clock,
): NonNullable<Gateway['parseCallback']> {
  const outcome = new Map<string, string>([
    ...receipts.failed.map((s) => [s.toLowerCase(), 'failed'] as const),
    ...receipts.delivered.map((s) => [s.toLowerCase(), 'delivered'] as const),
  ]);
  return ({ body }) => {
    const entries = Array.isArray(body) ? body : [body];
    const found: Receipt[] = [];
    for (const entry of entries) {
      const providerMessageId = readText(entry, receipts.idField);
      const status = readText(entry, receipts.statusField);
      if (!providerMessageId || status === undefined) return undefined;
      const mapped = outcome.get(status.toLowerCase());
      if (mapped) found.push({ gateway, providerMessageId, status: mapped, at: clock() });
    }
    return entries.length > 0 ? found : undefined;
  };
}
