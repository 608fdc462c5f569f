import type { OutboundMessage } from '../gateway.js';
import { compileJsonTemplate, compileTemplate, type TemplateOrigin } from '../template.js';
import type { HttpRequestSettings } from './http-settings.js';

/** One request ready for fetch. */
export interface BuiltRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Compiles the request settings of an HTTP gateway once: every template is checked at start-up,
 * and each message then only fills in its values.
 */
export function compileHttpRequest(
  settings: HttpRequestSettings,
  origin: Omit<TemplateOrigin, 'setting'>,
): (message: OutboundMessage) => BuiltRequest {
  const at = (setting: string) => ({ ...origin, setting });
  const url = compileTemplate(settings.url, at('url'), 'url');
  const headers = Object.entries(settings.headers).map(
    ([name, value]) => [name, compileTemplate(value, at(`headers.${name}`))] as const,
  );
  const auth = settings.auth && {
    username: compileTemplate(settings.auth.username, at('auth.username')),
    password: compileTemplate(settings.auth.password, at('auth.password')),
  };
  const body = compileBody(settings.body, at);

  return (message) => {
    const built: Record<string, string> = {};
    if (body) built['content-type'] = body.contentType;
    if (auth) {
      const pair = `${auth.username(message)}:${auth.password(message)}`;
      built.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
    for (const [name, value] of headers) built[name.toLowerCase()] = value(message).replace(/[\r\n]/g, ' ');
    return {
      url: url(message),
      method: settings.method,
      headers: built,
      ...(body ? { body: body.render(message) } : {}),
    };
  };
}

function compileBody(
  body: HttpRequestSettings['body'],
  at: (setting: string) => TemplateOrigin,
): { contentType: string; render: (message: OutboundMessage) => string } | undefined {
  if (!body) return undefined;
  if (body.form) {
    const fields = Object.entries(body.form).map(
      ([name, value]) => [name, compileTemplate(value, at(`body.form.${name}`))] as const,
    );
    return {
      contentType: 'application/x-www-form-urlencoded',
      render: (message) =>
        new URLSearchParams(
          fields.map(([name, value]): [string, string] => [name, value(message)]),
        ).toString(),
    };
  }
  if (body.json) {
    const json = compileJsonTemplate(body.json, at('body.json'));
    return { contentType: 'application/json', render: (message) => JSON.stringify(json(message)) };
  }
  const raw = compileTemplate(body.raw ?? '', at('body.raw'));
  return { contentType: body.contentType, render: raw };
}
