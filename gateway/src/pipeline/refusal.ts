import type { GraphQLFormattedError, SourceLocation } from 'graphql';
import { errorExtensions, GRAPHQL_HTTP_REFUSALS, type StatusCode } from '@car-check/service-kit';

interface RefusalOptions {
  /** Where in the document the problem is (syntax and validation errors). */
  locations?: readonly SourceLocation[];
  /** Further errors of the same refusal (validation reports several). */
  more?: readonly GraphQLFormattedError[];
  /** A protocol code clients match verbatim (PERSISTED_QUERY_NOT_FOUND), sent instead of `code`. */
  protocolCode?: string;
  headers?: Record<string, string>;
}

/**
 * The gateway's answer to a request it will not run: an HTTP status and one
 * or more coded GraphQL errors. Every stage of the request path refuses by
 * throwing one; the handler writes it with the request id (see respond.ts).
 */
export class Refusal extends Error {
  override readonly name = 'Refusal';

  constructor(
    readonly status: number,
    readonly code: StatusCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly options: RefusalOptions = {},
  ) {
    super(message);
  }

  /** The same refusal with another status (a stage that knows better what the refusal means over HTTP). */
  withStatus(status: number): Refusal {
    return new Refusal(status, this.code, this.message, this.details, this.options);
  }

  get headers(): Record<string, string> {
    return this.options.headers ?? {};
  }

  /** The response body, every error stamped with the code, the request id and the trace id. */
  body(requestId: string, traceId?: string): { errors: GraphQLFormattedError[] } {
    const extensions = (details: Record<string, unknown>) => ({
      ...details,
      ...errorExtensions(this.code, requestId, traceId),
      code: this.options.protocolCode ?? this.code,
    });
    const first: GraphQLFormattedError = {
      message: this.message,
      ...(this.options.locations ? { locations: this.options.locations } : {}),
      extensions: extensions(this.details),
    };
    const more = (this.options.more ?? []).map((error) => ({
      ...error,
      extensions: extensions(error.extensions ?? {}),
    }));
    return { errors: [first, ...more] };
  }
}

/**
 * Shorthands for the refusals every stage makes. By the GraphQL-over-HTTP
 * draft's status table, 400 is for what cannot be parsed (the JSON body, the
 * document) and 422 for what parses but cannot be processed: a request that
 * is not a well-formed GraphQL-over-HTTP request, a document that fails
 * validation (the server's own limits included), an operation that cannot be
 * determined, variables that cannot be coerced.
 */
export const invalidRequest = (message: string, details?: Record<string, unknown>, options?: RefusalOptions) =>
  new Refusal(400, 'INVALID_ARGUMENT', message, details, options);

export const unprocessable = (message: string, details?: Record<string, unknown>, options?: RefusalOptions) =>
  new Refusal(422, 'INVALID_ARGUMENT', message, details, options);

/** 405, with the methods `/graphql` allows (RFC 9110 requires `Allow` on a 405). */
export const methodNotAllowed = (message: string) =>
  new Refusal(405, 'INVALID_ARGUMENT', message, {}, { headers: { ...GRAPHQL_HTTP_REFUSALS.method.headers } });

export const tooLarge = (message: string, details?: Record<string, unknown>) =>
  new Refusal(400, 'RESOURCE_EXHAUSTED', message, details);
