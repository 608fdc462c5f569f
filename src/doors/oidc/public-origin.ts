import type Provider from 'oidc-provider';

/** The scheme and authority of an absolute-form request target (`GET http://host/path`). */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * Pins oidc-provider's view of every request to the public URL: the origin of each URL it
 * builds (discovery, endpoints, redirects back to it) and whether its cookies are Secure come
 * from the configuration, never from the Host header, the request target or X-Forwarded-*, so
 * that a request cannot make discovery name another host, nor an https deployment behind a
 * proxy that sends no X-Forwarded-Proto issue a session cookie without the Secure flag.
 */
export function pinToPublicUrl(provider: Provider, publicUrl: string, secureCookies: boolean): void {
  const { protocol, host, origin } = new URL(publicUrl);
  // Each request of this Koa application inherits from `provider.request` (its own copy of Koa's).
  Object.defineProperties(provider.request, {
    protocol: { configurable: true, get: () => protocol.slice(0, -1) },
    secure: { configurable: true, get: () => secureCookies },
    host: { configurable: true, get: () => host },
    href: {
      configurable: true,
      get(this: { originalUrl: string }) {
        return `${origin}${this.originalUrl.replace(ABSOLUTE_FORM, '') || '/'}`;
      },
    },
  });
}
