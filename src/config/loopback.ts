/**
 * Whether a host (as in a URL or a `host:port` setting) is this machine's loopback: traffic to it
 * crosses no network, so plain http or an unauthenticated listener there is exposed to no one else.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
