import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.js';
import { message, openStore, type Store, startDispatcher, startProvider } from './support.js';

describe.each(BACKENDS)('HTTP gateway options (%s)', (backend) => {
  let store: Store;
  let api: Awaited<ReturnType<typeof startProvider>>;

  beforeAll(async () => {
    store = await openStore(backend);
    // A typical SMS API of the older kind: plain text answers, "OK: <id>" or "ERR: <reason>".
    api = await startProvider((request) =>
      request.url.includes('huge')
        ? { status: 200, body: 'OK: '.padEnd(100_000, 'x'), type: 'text/plain' }
        : request.url.includes('fail')
          ? { status: 200, body: 'ERR: no credit', type: 'text/plain' }
          : { status: 200, body: 'OK: 7731', type: 'text/plain' },
    );
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  it('sends a GET with the message in the query and a bearer header, and reads a plain-text id', async () => {
    const { dispatcher } = await startDispatcher({
      store,
      env: { SMS_API_KEY: 'k-123' },
      gateways: [
        {
          type: 'http',
          name: 'plain',
          method: 'GET',
          url: `${api.url}/send?to={toDigits}&msg={text}&lang={language}`,
          headers: { Authorization: 'Bearer {env.SMS_API_KEY}', 'X-Message-Id': '{id}' },
          success: { bodyPattern: '^OK:' },
          messageId: { pattern: '^OK: (\\d+)' },
        },
      ],
    });
    const sent = message({ text: 'Code 481592 & more' });
    const result = await dispatcher.send(sent);
    expect(result.providerMessageId).toBe('7731');
    const request = api.requests.at(-1)!;
    expect(request.method).toBe('GET');
    expect(new URL(request.url, 'http://x').searchParams.get('msg')).toBe('Code 481592 & more');
    expect(request.url).toContain('to=33612345642&');
    expect(request.headers.authorization).toBe('Bearer k-123');
    expect(request.headers['x-message-id']).toBe(sent.id);
  });

  it('refuses an answer that does not match the success pattern, though it is a 200', async () => {
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [{ type: 'http', name: 'plain', url: `${api.url}/fail`, success: { bodyPattern: '^OK:' } }],
    });
    const sent = message();
    await expect(dispatcher.send(sent)).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
    const [attempt] = await store.attempts.forMessage(sent.id);
    expect(attempt?.error).toBe('GATEWAY_REJECTED: HTTP 200: the body does not match success.bodyPattern');
  });

  it('refuses an answer larger than 64 KiB instead of buffering it', async () => {
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [{ type: 'http', name: 'huge', url: `${api.url}/huge` }],
    });
    const sent = message();
    await expect(dispatcher.send(sent)).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
    const [attempt] = await store.attempts.forMessage(sent.id);
    expect(attempt?.error).toBe('GATEWAY_REJECTED: HTTP 200: response larger than 65536 bytes');
  });

  it('posts a raw XML body with its content type and XML-escaped placeholders', async () => {
    const { dispatcher } = await startDispatcher({
      store,
      gateways: [
        {
          type: 'http',
          name: 'xml',
          url: `${api.url}/xml`,
          body: {
            raw: '<sms><to>{to|xml}</to><text>{text|xml}</text></sms>',
            contentType: 'application/xml',
          },
        },
      ],
    });
    await dispatcher.send(message({ text: 'a < b & "c"' }));
    const request = api.requests.at(-1)!;
    expect(request.headers['content-type']).toBe('application/xml');
    expect(request.body).toBe('<sms><to>+33612345642</to><text>a &lt; b &amp; &quot;c&quot;</text></sms>');
  });
});
