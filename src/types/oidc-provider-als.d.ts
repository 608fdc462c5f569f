/**
 * Types of oidc-provider's request-context storage (lib/helpers/als.js, version 9), which the
 * package does not declare: the AsyncLocalStorage its `Provider.ctx` reads.
 */
declare module 'oidc-provider/lib/helpers/als.js' {
  import type { AsyncLocalStorage } from 'node:async_hooks';

  const requestContext: AsyncLocalStorage<unknown>;
  export default requestContext;
}
