import { describeError } from '../errors.js';
import { DispatchErrors } from './errors.js';
import type { Gateway, OutboundMessage, SendResult } from './gateway.js';

/** How one attempt ended. */
export type AttemptOutcome =
  | { outcome: 'sent'; result: SendResult; latencyMs: number }
  | { outcome: 'failed' | 'timeout'; error: unknown; latencyMs: number };

/**
 * One gateway's try at one message, limited to `timeoutMs`: on timeout (or when `outer` aborts)
 * the gateway's signal aborts, and the attempt ends even if the gateway ignores its signal.
 */
export async function attempt(
  gateway: Gateway,
  message: OutboundMessage,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<AttemptOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(
      DispatchErrors.GATEWAY_TIMEOUT({ detail: `${gateway.name}: no answer within ${timeoutMs} ms` }),
    );
  }, timeoutMs);
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  const ended = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const started = performance.now();
  try {
    const sending = gateway.send(message, controller.signal);
    sending.catch(() => {});
    const result = await Promise.race([sending, ended]);
    return { outcome: 'sent', result, latencyMs: performance.now() - started };
  } catch (error) {
    return { outcome: timedOut ? 'timeout' : 'failed', error, latencyMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

/**
 * An error as it may be stored and logged: one line, at most 300 characters, with the message
 * text, the spoken text, the passcode and the destination taken out should a provider echo them.
 */
export function errorSummary(error: unknown, message: OutboundMessage): string {
  let summary = describeError(error).replace(/\s+/g, ' ');
  const secrets = [message.text, message.spoken, message.to, message.to.replace(/\D/g, ''), message.code];
  for (const secret of secrets)
    if (secret && secret.length >= 4) summary = summary.split(secret).join('[redacted]');
  return summary.slice(0, 300);
}
