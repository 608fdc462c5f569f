/**
 * The load generator's HTTP side: Node's fetch (undici, keep-alive by default) with manual
 * redirects, and a deliberately tiny cookie jar — enough for one login through the hosted pages,
 * far cheaper per request than tough-cookie's full RFC 6265 store.
 */

/** One response, body read. */
export interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

/** Options of {@link send}. */
export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  jar?: CookieJar;
}

/** One request without following redirects; cookies go to and come from `jar` when given. */
export async function send(url: string, options: SendOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const cookie = options.jar?.header(url);
  if (cookie) headers.cookie = cookie;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    redirect: 'manual',
  });
  if (options.jar) for (const line of response.headers.getSetCookie()) options.jar.store(line, url);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Epoch ms, or Infinity for a session cookie. */
  expires: number;
}

/**
 * Cookies of one simulated browser talking to one origin (the bench only ever talks to the
 * server under test): name, value, path scoping and expiry. Domain, Secure and SameSite are
 * irrelevant on a single plain-http loopback origin and ignored.
 */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Applies one Set-Cookie header line received for `url`. */
  store(line: string, url: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: StoredCookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      path: defaultPath(new URL(url).pathname),
      expires: Number.POSITIVE_INFINITY,
    };
    let maxAge: number | undefined;
    for (const attribute of attributes) {
      const [rawKey = '', ...rest] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const value = rest.join('=').trim();
      if (key === 'path' && value.startsWith('/')) cookie.path = value;
      else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
      else if (key === 'expires') {
        const at = Date.parse(value);
        if (!Number.isNaN(at)) cookie.expires = at;
      }
    }
    if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
    const id = `${cookie.name}\u0000${cookie.path}`;
    if (cookie.expires <= Date.now()) this.cookies.delete(id);
    else this.cookies.set(id, cookie);
  }

  /** The Cookie header for a request to `url`, or undefined. More specific paths first. */
  header(url: string): string | undefined {
    const requestPath = new URL(url).pathname;
    const now = Date.now();
    const matching = [...this.cookies.values()]
      .filter((c) => c.expires > now && pathMatches(requestPath, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length > 0 ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** Names of the cookies currently held (for error messages). */
  names(): string[] {
    return [...this.cookies.values()].map((c) => `${c.name}@${c.path}`);
  }
}

/** RFC 6265 5.1.4 default-path: the request path up to, not including, its last slash. */
function defaultPath(requestPath: string): string {
  const slash = requestPath.lastIndexOf('/');
  return slash <= 0 ? '/' : requestPath.slice(0, slash);
}

/** RFC 6265 5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** client_secret_basic: id and secret form-urlencoded, then Base64 (RFC 6749 2.3.1). */
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** The value of a named input in an HTML form (attributes in any order). */
export function formField(html: string, name: string): string | undefined {
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(html)?.[0];
  const value = input && /value="([^"]*)"/.exec(input)?.[1];
  return value === undefined ? undefined : decodeAttribute(value);
}

/** An HTML attribute value as the browser reads it (the entities the server's templates write). */
export function decodeAttribute(value: string): string {
  return value
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The absolute action URL of the first form in an HTML page. */
export function formAction(html: string, base: string): string | undefined {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  return action && new URL(action.replace(/&amp;/g, '&'), base).toString();
}
