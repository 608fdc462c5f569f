import { DispatchErrors } from '../errors.js';
import type { SendResult } from '../gateway.js';
import { readText } from '../json-path.js';
import type { HttpRequestSettings } from './http-settings.js';

/**
 * Compiles how an HTTP gateway reads the provider's answer: accepted (with the provider's
 * message id) or refused. Error details carry the status and the failed check, never the body,
 * which may echo the destination or the message.
 */
export function compileHttpResponse(
  settings: HttpRequestSettings,
): (status: number, body: string) => SendResult {
  const { success, messageId } = settings;
  const bodyPattern = success.bodyPattern === undefined ? undefined : new RegExp(success.bodyPattern);
  const idPattern = messageId.pattern === undefined ? undefined : new RegExp(messageId.pattern);
  const needsJson = success.jsonPath !== undefined || messageId.jsonPath !== undefined;

  return (status, body) => {
    const refuse = (why: string) => DispatchErrors.GATEWAY_REJECTED({ detail: `HTTP ${status}${why}` });
    if (status < success.statusMin || status > success.statusMax) throw refuse('');
    if (bodyPattern && !bodyPattern.test(body)) throw refuse(': the body does not match success.bodyPattern');
    const json = needsJson ? parseJson(body) : undefined;
    if (success.jsonPath !== undefined) {
      if (json === undefined) throw refuse(': the body is not JSON');
      const found = readText(json, success.jsonPath);
      if (found !== String(success.jsonEquals))
        throw refuse(
          `: ${success.jsonPath} is ${found === undefined ? 'missing' : `"${found.slice(0, 40)}"`}`,
        );
    }
    const id =
      (messageId.jsonPath !== undefined ? readText(json, messageId.jsonPath) : undefined) ??
      (idPattern
        ? (idPattern
            .exec(body)
            ?.slice(1)
            .find((g) => g !== undefined) ?? undefined)
        : undefined);
    return id ? { providerMessageId: id } : {};
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
