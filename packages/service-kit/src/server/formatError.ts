import { type GraphQLFormattedError, GraphQLError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { MASKED_CODES, PROTOCOL_CODES, STATUS, statusCodeOf, type StatusCode } from '../errors/catalog';

// Apollo Server's own codes and what they mean in the graph's vocabulary.
const APOLLO_CODES: Record<string, StatusCode> = {
  [ApolloServerErrorCode.GRAPHQL_PARSE_FAILED]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.BAD_USER_INPUT]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.BAD_REQUEST]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.INTERNAL_SERVER_ERROR]: 'INTERNAL',
};

export const MASKED_MESSAGE = 'Internal error. Quote the request id when reporting it.';

/** The catalog code an error will be sent with (INTERNAL when nothing better is known). */
export function codeForError(formatted: GraphQLFormattedError, error: unknown): StatusCode {
  const original = unwrapResolverError(error);
  // graphql-js wraps a thrown non-Error value (`throw 'boom'`) in an Error with this message.
  if (original instanceof Error && original.message.startsWith('Unexpected error value:')) return 'UNKNOWN';
  const fromCatalog = original instanceof GraphQLError ? statusCodeOf(original) : undefined;
  const sent = formatted.extensions?.code;
  if (fromCatalog) return fromCatalog;
  if (typeof sent === 'string')
    return statusCodeOf(formatted) ?? PROTOCOL_CODES[sent] ?? APOLLO_CODES[sent] ?? 'INTERNAL';
  return 'INTERNAL';
}

/**
 * Apollo Server's `formatError` for every service: each error leaving it
 * carries a catalog code and its gRPC number; internal ones are masked (their
 * details are logged by the error-reporting plugin, never sent). Protocol codes
 * that clients match verbatim (persisted queries) keep their name.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const code = codeForError(formatted, error);
  const sentCode = formatted.extensions?.code;
  const keptName = typeof sentCode === 'string' && sentCode in PROTOCOL_CODES ? sentCode : code;
  const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
  if (MASKED_CODES.has(code)) {
    const { serviceName } = extensions;
    return {
      message: MASKED_MESSAGE,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code, grpcStatus: STATUS[code].grpcStatus, ...(serviceName ? { serviceName } : {}) },
    };
  }
  return { ...formatted, extensions: { ...extensions, code: keptName, grpcStatus: STATUS[code].grpcStatus } };
}
