import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/** What the error page says: the translated message and the code it keys on. */
function errorPage(html: string) {
  const message = /<p class="lead" id="error-message" data-code="([^"]*)">([^<]*)<\/p>/.exec(html);
  return { code: message?.[1], text: message?.[2] };
}

describe('client errors are answered as the request’s fault, without a stack', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer();
  });
  afterAll(() => passgate?.close());

  const get = (path: string, accept = 'text/html') =>
    fetch(`${passgate.url}${path}`, { headers: { accept }, redirect: 'manual' });

  it.each(['/login/%E0%A4%A', '/selfservice/tokens/%ZZ/confirm'])(
    'a bad percent-encoding in %s is a 400 saying the request was malformed',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(400);
      const body = await response.text();
      expect(errorPage(body)).toEqual({
        code: 'bad_request',
        text: 'The request was malformed. Check the address and try again.',
      });
      expect(body).not.toMatch(/on our side|URIError|at \w+ \(/);
    },
  );

  it('says the same in JSON to a client that asks for JSON', async () => {
    const response = await get('/login/%E0%A4%A', 'application/json');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      error: 'bad_request',
      error_description: 'The request was malformed. Check the address and try again.',
    });
  });

  it.each([
    '/assets/..%2f..%2fpackage.json',
    '/assets/..%5c..%5cpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/.hidden',
  ])('a traversal attempt %s is a plain 404', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    const body = await response.text();
    expect(errorPage(body).code).toBe('not_found');
    expect(body).not.toContain('"name": "passgate"');
  });

  it('logs client errors as such, not as failures of the server', () => {
    const failures = passgate.logs.filter((line) => line.includes('request failed'));
    expect(failures).toEqual([]);
  });
});
