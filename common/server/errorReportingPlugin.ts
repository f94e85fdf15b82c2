import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import { MASKED_CODES, statusCodeOf } from '../errors';
import type { Logger } from '../logging/logger';

/**
 * Logs the details of errors that clients only see masked, and stamps every
 * error with the request id so a client's report leads straight to the log line.
 */
export function errorReportingPlugin<Ctx extends { requestId: string }>(log: Logger): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            const code = original instanceof GraphQLError ? statusCodeOf(original) : undefined;
            if (code && !MASKED_CODES.has(code)) continue;
            if (!code && statusCodeOf(error)) continue;
            if (!code && error.extensions?.code && error.extensions.code !== 'INTERNAL_SERVER_ERROR') continue;
            log.error(
              { err: original, path: error.path, requestId: contextValue.requestId, operationName },
              'unexpected error',
            );
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => ({
            ...error,
            extensions: { ...error.extensions, requestId: contextValue.requestId },
          }));
        },
      };
    },
  };
}
