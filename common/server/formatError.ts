import type { GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import { MASKED_CODES, STATUS, statusCodeOf, type StatusCode } from '../errors';
import type { Logger } from '../logging/logger';

// Apollo Server's own codes and what they mean in the graph's vocabulary.
const APOLLO_CODES: Record<string, StatusCode> = {
  [ApolloServerErrorCode.GRAPHQL_PARSE_FAILED]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.BAD_USER_INPUT]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.BAD_REQUEST]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE]: 'INVALID_ARGUMENT',
  [ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED]: 'UNIMPLEMENTED',
  [ApolloServerErrorCode.INTERNAL_SERVER_ERROR]: 'INTERNAL',
};

export const MASKED_MESSAGE = 'Internal error. Quote the request id when reporting it.';

/**
 * Builds Apollo Server's `formatError`: every error leaving the service carries
 * a catalog code and gRPC number; internal ones are masked and their detail is
 * logged instead of sent.
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const catalogCode =
      original instanceof GraphQLError ? statusCodeOf(original) : statusCodeOf(formatted);
    const apolloCode = formatted.extensions?.code;
    const code: StatusCode =
      catalogCode ?? (typeof apolloCode === 'string' ? APOLLO_CODES[apolloCode] : undefined) ?? 'INTERNAL';

    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    if (MASKED_CODES.has(code)) {
      log.error({ err: original, path: formatted.path }, 'unexpected error in resolver');
      return {
        message: MASKED_MESSAGE,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code, grpcStatus: STATUS[code].grpcStatus },
      };
    }
    return {
      ...formatted,
      extensions: { ...extensions, code, grpcStatus: STATUS[code].grpcStatus },
    };
  };
}
