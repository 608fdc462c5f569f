import requestContext from 'oidc-provider/lib/helpers/als.js';

/**
 * Stops oidc-provider from entering an AsyncLocalStorage for every request it serves. The
 * storage only answers `Provider.ctx`, which Passgate never reads (its one reader inside
 * oidc-provider, the client ID metadata document feature, is off). On Node 20 the first `run` of
 * any AsyncLocalStorage switches on promise hooks for the whole process, for good: after one
 * OIDC request, every promise of every door (a SAML single sign-on hop, a RADIUS request) paid
 * for them. `run` becomes a plain call, so `Provider.ctx` is always undefined.
 */
export function skipProviderRequestContext(): void {
  requestContext.run = <R, A extends unknown[]>(
    _store: unknown,
    callback: (...args: A) => R,
    ...args: A
  ): R => callback(...args);
}
