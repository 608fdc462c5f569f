import { FlowError } from '../flows.js';
import { CookieJar, decodeAttribute, type Reply, send } from '../http.js';

/** Where a browser ended up after following redirects: the last answer and its address. */
export interface Landing {
  reply: Reply;
  url: string;
}

/**
 * One fresh browser for one sign-in on any server (Passgate or a peer): its cookies, redirects
 * followed as a browser follows them (GET after a 302/303), and host names of the server's public
 * URL mapped to a loopback address while the Host header keeps the name (`hosts`), so a peer that
 * needs a cookie domain can have one without /etc/hosts.
 */
export class Browser {
  private readonly jar = new CookieJar();

  constructor(private readonly hosts: Readonly<Record<string, string>> = {}) {}

  /** Takes a cookie as if `url` had set it (`Set-Cookie` syntax): a session made in the store. */
  setCookie(line: string, url: string): void {
    this.jar.store(line, url);
  }

  /** GET `url`, then follow redirects until a page answers or a redirect leaves for `stopAt`. */
  get(url: string, step: string, stopAt?: string): Promise<Landing> {
    return this.follow(url, step, stopAt);
  }

  /** POST the form fields to `url` (with extra `headers`), then follow redirects like {@link get}. */
  post(
    url: string,
    form: Record<string, string>,
    step: string,
    options: { stopAt?: string; headers?: Record<string, string> } = {},
  ): Promise<Landing> {
    return this.follow(url, step, options.stopAt, form, options.headers);
  }

  private async follow(
    url: string,
    step: string,
    stopAt: string | undefined,
    form?: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<Landing> {
    let reply = await this.send(url, form, headers);
    for (let hops = 0; reply.status >= 300 && reply.status < 400; hops++) {
      const location = reply.headers.get('location');
      if (!location) throw new FlowError(step, `HTTP ${reply.status}`, 'a redirect without Location');
      url = new URL(location, url).href;
      if (stopAt && url.startsWith(stopAt)) break;
      if (hops === 10) throw new FlowError(step, 'redirect loop', url);
      reply = await this.send(url);
    }
    return { reply, url };
  }

  private send(
    url: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const address = new URL(url);
    const loopback = this.hosts[address.host];
    const options = { jar: this.jar, ...(form ? { form } : {}) };
    if (!loopback) return send(url, { ...options, headers });
    const host = address.host;
    address.host = loopback;
    return send(address.href, { ...options, headers: { ...headers, host } });
  }
}

/**
 * The fields a browser submits from the page's first POST form that has an input named `field`:
 * its hidden inputs plus `values`, to its action resolved against the page address.
 */
export function fillForm(
  page: Landing,
  field: string,
  values: Record<string, string>,
  step: string,
): { action: string; form: Record<string, string> } {
  const html = page.reply.body;
  const forms = html.match(/<form[^>]*method="post"[^>]*>[\s\S]*?<\/form>/gi) ?? [];
  const chosen = forms.find((f) => new RegExp(`<input[^>]*name="${field}"`).test(f));
  if (page.reply.status !== 200 || !chosen)
    throw new FlowError(
      step,
      `HTTP ${page.reply.status}`,
      `no form with "${field}" at ${page.url}: ${text(html)}`,
    );
  const hidden: Record<string, string> = {};
  for (const input of chosen.match(/<input[^>]*>/g) ?? []) {
    if (!/type="hidden"/.test(input)) continue;
    const name = /name="([^"]*)"/.exec(input)?.[1];
    if (name) hidden[name] = decodeAttribute(/value="([^"]*)"/.exec(input)?.[1] ?? '');
  }
  const action = decodeAttribute(/action="([^"]*)"/.exec(chosen)?.[1] ?? '');
  const target = new URL(action || page.url, page.url);
  target.hash = '';
  return { action: target.href, form: { ...hidden, ...values } };
}

/** A page's text without markup, shortened, for error messages. */
export function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}
