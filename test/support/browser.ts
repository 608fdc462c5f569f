import { CookieJar } from 'tough-cookie';

/** One HTTP exchange as a browser would make it. */
export interface Exchange {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

/**
 * A minimal browser for protocol tests: a real cookie jar (tough-cookie), manual redirects, and
 * form posts. It drives Passgate's hosted pages exactly as a user agent does, over HTTP.
 */
export class Browser {
  readonly jar = new CookieJar();

  constructor(private readonly headers: Record<string, string> = {}) {}

  /** One request; no redirect is followed. */
  async fetch(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      /** A FormData body is sent as multipart/form-data (file uploads). */
      body?: string | FormData;
    } = {},
  ): Promise<Exchange> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body = init.body;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url);
    return { url, status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Follows redirects from `url` until a response is not a redirect or its target satisfies `stop`. */
  async follow(
    url: string,
    init: Parameters<Browser['fetch']>[1] = {},
    stop: (location: string) => boolean = () => false,
  ): Promise<{ last: Exchange; location?: string; hops: string[] }> {
    const hops: string[] = [];
    let exchange = await this.fetch(url, init);
    for (let i = 0; i < 20; i++) {
      const location = exchange.headers.get('location');
      if (exchange.status < 300 || exchange.status >= 400 || !location) return { last: exchange, hops };
      const next = new URL(location, exchange.url).toString();
      hops.push(next);
      if (stop(next)) return { last: exchange, location: next, hops };
      exchange = await this.fetch(next);
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

/** The value of a named form field in an HTML page. */
export function formField(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
  const value = input && /value="([^"]*)"/.exec(input)?.[1];
  return value?.replace(/&#34;|&quot;/g, '"').replace(/&amp;/g, '&');
}

/** The action of the first form in an HTML page, absolute. */
export function formAction(html: string, base: string): string {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return new URL(action.replace(/&amp;/g, '&'), base).toString();
}

/**
 * Signs in through the hosted login page: opens the authorization URL, posts the real form with
 * its CSRF token, and returns the redirect back to the application (with `code`, or `error`).
 */
export async function signIn(
  browser: Browser,
  authorizationUrl: string,
  username: string,
  password: string,
  redirectUri: string,
): Promise<{ callback?: URL; page: Exchange }> {
  const isCallback = (location: string) => location.startsWith(redirectUri);
  const { last: page, location: direct } = await browser.follow(authorizationUrl, {}, isCallback);
  if (direct) return { page, callback: new URL(direct) };
  if (page.status !== 200 || !page.body.includes('name="password"')) return { page };
  const posted = await browser.follow(
    formAction(page.body, page.url),
    { form: { _csrf: formField(page.body, '_csrf') ?? '', username, password } },
    (location) => location.startsWith(redirectUri),
  );
  return { page: posted.last, ...(posted.location ? { callback: new URL(posted.location) } : {}) };
}
