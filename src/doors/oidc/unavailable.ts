import type { Middleware } from 'koa';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { PassgateError } from '../../errors.js';
import type { PageRenderer } from '../../web/render.js';
import type { AdapterFactory } from './adapter.js';

/**
 * Passgate's 503 errors (the store or the directory unavailable) as oidc-provider answers them:
 * `temporarily_unavailable` with status 503, back to the application on the authorization
 * endpoint and as JSON on the token endpoint, instead of a 500 `server_error`.
 */
export function asOidcError(error: unknown): unknown {
  if (!(error instanceof PassgateError) || error.status !== 503) return error;
  const unavailable = new errors.TemporarilyUnavailable(error.publicMessage, { cause: error });
  return Object.assign(unavailable, { status: 503, statusCode: 503 });
}

/** True for the error {@link asOidcError} makes. */
export function isOidcUnavailable(error: unknown): boolean {
  return error instanceof errors.TemporarilyUnavailable && error.statusCode === 503;
}

/** Runs a store-backed step of oidc-provider, translating Passgate's 503 errors on the way out. */
export async function inOidcTerms<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw asOidcError(error);
  }
}

/** The adapter with {@link asOidcError} applied to every call oidc-provider makes. */
export function withOidcErrors(Base: AdapterFactory): AdapterFactory {
  return class OidcErrorsAdapter implements Adapter {
    readonly #inner: Adapter;

    constructor(model: string) {
      this.#inner = new Base(model);
    }

    upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      return inOidcTerms(() => this.#inner.upsert(id, payload, expiresIn));
    }

    find(id: string) {
      return inOidcTerms(async () => this.#inner.find(id));
    }

    findByUid(uid: string) {
      return inOidcTerms(async () => this.#inner.findByUid(uid));
    }

    findByUserCode(userCode: string) {
      return inOidcTerms(async () => this.#inner.findByUserCode(userCode));
    }

    consume(id: string) {
      return inOidcTerms(async () => this.#inner.consume(id));
    }

    destroy(id: string) {
      return inOidcTerms(async () => this.#inner.destroy(id));
    }

    revokeByGrantId(grantId: string) {
      return inOidcTerms(async () => this.#inner.revokeByGrantId(grantId));
    }
  };
}

/** Seconds a client is told to wait (Retry-After) when the store or the directory is unavailable. */
const RETRY_AFTER_SECONDS = '5';

/**
 * oidc-provider middleware for the unavailable errors its route handlers do not catch (the
 * session saved after a response was prepared): the 503 page, or the OAuth JSON for API
 * clients, instead of Koa's plain-text answer. The 503 answers oidc-provider makes itself (the
 * token endpoint's JSON error) get their Retry-After here too.
 */
export function answerUnavailable(render: PageRenderer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', RETRY_AFTER_SECONDS);
    } catch (error) {
      if (!isOidcUnavailable(error)) throw error;
      const unavailable = error as InstanceType<typeof errors.TemporarilyUnavailable>;
      ctx.remove('Location');
      ctx.status = 503;
      ctx.set('Retry-After', RETRY_AFTER_SECONDS);
      if (ctx.accepts('json', 'html') === 'json') {
        ctx.body = { error: unavailable.error, error_description: unavailable.error_description };
        return;
      }
      ctx.type = 'html';
      ctx.body = await render(ctx.req, 'error', { status: 503, code: unavailable.error });
    }
  };
}
