/**
 * Passgate's one error model.
 *
 * Every error that crosses a module boundary is a {@link PassgateError}: a stable machine `code`
 * (what tests, logs and translations key on), an HTTP-ish `status` for the doors, a
 * `publicMessage` that is safe to show to anyone, and an internal `message`/`cause` that only
 * goes to the log. Modules declare their codes once in a catalogue built with
 * {@link defineErrors}, in the manner of jose's `src/util/errors.ts`.
 */

/** How one error code of a catalogue behaves. */
export interface ErrorSpec {
  /** Status a door returns for it (HTTP semantics). */
  readonly status: number;
  /** English text safe for end users; translated pages key on the code instead. */
  readonly publicMessage: string;
}

/** Options when raising an error from a catalogue. */
export interface RaiseOptions {
  /** Internal detail for the log; never shown to users. */
  readonly detail?: string;
  readonly cause?: unknown;
}

/** Base class of every error Passgate raises on purpose. */
export class PassgateError extends Error {
  override readonly name = 'PassgateError';
  readonly code: string;
  readonly status: number;
  readonly publicMessage: string;
  /** The catalogue that raised it, so that two catalogues' codes can never be taken for each other. */
  readonly catalogue: symbol | undefined;

  constructor(code: string, spec: ErrorSpec, options: RaiseOptions = {}, catalogue?: symbol) {
    super(options.detail ?? spec.publicMessage, { cause: options.cause });
    this.code = code;
    this.status = spec.status;
    this.publicMessage = spec.publicMessage;
    this.catalogue = catalogue;
  }
}

/** A module's catalogue: one factory per code, plus a type guard. */
export type ErrorCatalogue<Codes extends string> = {
  readonly [C in Codes]: (options?: RaiseOptions) => PassgateError;
} & {
  /** True when `error` was raised by this catalogue (with the given code, if one is given). */
  readonly is: (error: unknown, code?: Codes) => error is PassgateError;
  /** The catalogue's codes, so that a test can check that no two catalogues share one. */
  readonly codes: readonly Codes[];
};

/**
 * Declares a module's error codes once, so that raising one is `StoreErrors.DB_UNREACHABLE({ cause })`
 * and callers can test for it without string typos.
 */
export function defineErrors<Codes extends string>(specs: Record<Codes, ErrorSpec>): ErrorCatalogue<Codes> {
  const identity = Symbol('error catalogue');
  const catalogue: Record<string, unknown> = {};
  for (const [code, spec] of Object.entries<ErrorSpec>(specs)) {
    catalogue[code] = (options?: RaiseOptions) => new PassgateError(code, spec, options, identity);
  }
  catalogue.is = (error: unknown, code?: string) =>
    error instanceof PassgateError &&
    error.catalogue === identity &&
    (code === undefined || error.code === code);
  catalogue.codes = Object.freeze(Object.keys(specs));
  return catalogue as ErrorCatalogue<Codes>;
}

/** The message of any thrown value, for logs; never for users. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describeError).join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
