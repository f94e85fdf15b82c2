import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { MASKED_CODES } from '../errors/catalog';
import type { Logger } from '../logging/logger';
import { currentTraceId } from '../tracing/context';
import { codeForError } from './formatError';

/**
 * Logs the details of errors that clients only see masked, and stamps every
 * error with the request id and the trace id, so a client's report leads
 * straight to the log line and the trace.
 */
export function errorReportingPlugin<Ctx extends { requestId: string; traceId?: string }>(
  log: Logger,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            // The same decision formatError makes: log exactly what clients only see masked.
            if (!MASKED_CODES.has(codeForError(error, error))) continue;
            const original = unwrapResolverError(error);
            log.error(
              {
                err: original,
                path: error.path,
                requestId: contextValue.requestId,
                ...(contextValue.traceId ? { traceId: contextValue.traceId } : {}),
                operationName,
              },
              'unexpected error',
            );
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          const traceId = contextValue.traceId ?? currentTraceId();
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => ({
            ...error,
            extensions: { ...error.extensions, requestId: contextValue.requestId, ...(traceId ? { traceId } : {}) },
          }));
        },
      };
    },
  };
}
