import { describe, expect, it } from 'vitest';
import { readPath, readText } from '../../src/dispatch/json-path.js';
import { compileJsonTemplate, compileTemplate } from '../../src/dispatch/template.js';
import { message } from './support.js';

const origin = { gateway: 'gw', setting: 'url', env: { API_KEY: 'k&y/1' } };

describe('gateway templates', () => {
  it('fills in message fields and environment variables, with filters', () => {
    const sent = message({ id: 'm-1', to: '+33612345642', text: 'Code <481592> & "more"' });
    expect(compileTemplate('{to}|{toDigits}|{id}|{language}|{channel}', origin)(sent)).toBe(
      '+33612345642|33612345642|m-1|en|sms',
    );
    expect(compileTemplate('?key={env.API_KEY}&to={to}', origin, 'url')(sent)).toBe(
      '?key=k%26y%2F1&to=%2B33612345642',
    );
    expect(compileTemplate('<Say>{text|xml}</Say>', origin)(sent)).toBe(
      '<Say>Code &lt;481592&gt; &amp; &quot;more&quot;</Say>',
    );
    expect(compileTemplate('{"t":"{text|json}"}', origin)(sent)).toBe('{"t":"Code <481592> & \\"more\\""}');
    expect(compileTemplate('{to|raw}', origin, 'url')(sent)).toBe('+33612345642');
  });

  it('leaves braces that are not placeholders alone', () => {
    expect(compileTemplate('{"a": {"b": "{id}"}}', origin)(message({ id: 'x' }))).toBe('{"a": {"b": "x"}}');
  });

  it('fills every string of a JSON template, keeping numbers and nesting', () => {
    const render = compileJsonTemplate({ to: ['{to}'], n: 1, deep: { text: '{text}' } }, origin);
    expect(render(message({ to: '+1', text: 't' }))).toEqual({ to: ['+1'], n: 1, deep: { text: 't' } });
  });

  it('stops the start on an unknown placeholder, filter or unset variable, naming gateway and setting', () => {
    expect(() => compileTemplate('{phone}', origin)).toThrow(
      'dispatch.gateways "gw": url: unknown placeholder {phone}',
    );
    expect(() => compileTemplate('{to|base64}', origin)).toThrow(/unknown filter \|base64/);
    expect(() => compileTemplate('{env.MISSING}', origin)).toThrow(/environment variable MISSING is not set/);
    try {
      compileTemplate('{env.MISSING}', origin);
    } catch (error) {
      expect(error).toMatchObject({ code: 'GATEWAY_MISCONFIGURED' });
    }
  });

  it('reads dotted paths in JSON', () => {
    const json = { sid: 'SM1', messages: [{ status: 0, ok: true }] };
    expect(readText(json, 'sid')).toBe('SM1');
    expect(readText(json, 'messages.0.status')).toBe('0');
    expect(readText(json, 'messages.0.ok')).toBe('true');
    expect(readPath(json, 'messages.1.status')).toBeUndefined();
    expect(readText(json, 'messages')).toBeUndefined();
  });
});
