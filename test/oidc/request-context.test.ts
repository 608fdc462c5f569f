import requestContext from 'oidc-provider/lib/helpers/als.js';
import { describe, expect, it } from 'vitest';
import { skipProviderRequestContext } from '../../src/doors/oidc/request-context.js';

describe("oidc-provider's request context", () => {
  it('is a plain call once skipped: the callback runs with its arguments, no store is entered', async () => {
    skipProviderRequestContext();
    const seen = await requestContext.run(
      { request: 'one' },
      async (a: number, b: string) => {
        await Promise.resolve();
        return { args: [a, b], store: requestContext.getStore() };
      },
      7,
      'x',
    );
    expect(seen).toEqual({ args: [7, 'x'], store: undefined });
    expect(requestContext.getStore()).toBeUndefined();
  });
});
