import type { ApolloServerPlugin } from '@apollo/server';
import type { CallerIdentity } from '../auth/identity';
import type { Logger } from '../logging/logger';
import type { ServiceMetrics } from '../metrics/metrics';

/** A gateway's call to a subgraph, as it appears in the gateway's request log line. */
export interface SubgraphCall {
  subgraph: string;
  durationMs: number;
  outcome: string;
}

interface ObservedContext {
  requestId: string;
  clientRequestId?: string;
  traceId?: string;
  caller: CallerIdentity;
  subgraphCalls?: SubgraphCall[];
}

/**
 * One structured log line and one metrics sample per GraphQL request: the
 * HTTP method and status, the operation, how long it took, its outcome (OK or the code of its first error),
 * the request id, the trace id and the user; at the gateway also each subgraph
 * call's timing.
 * Nothing from the request body or headers is logged.
 */
export function requestLogPlugin<Ctx extends ObservedContext>(
  log: Logger,
  metrics: ServiceMetrics,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, contextValue, operationName }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const firstCode = errors?.[0]?.extensions?.code;
          const outcome = errors?.length ? (typeof firstCode === 'string' ? firstCode : 'INTERNAL') : 'OK';
          const operation = operationName ?? request.operationName ?? undefined;
          // Only an authenticated caller's operation names may take a label slot (see ServiceMetrics).
          const known = contextValue.caller.userId !== null || contextValue.caller.service !== null;
          metrics.observeRequest(operation, outcome, seconds, known);
          log.info(
            {
              method: request.http?.method,
              operationName: operation ?? null,
              // Apollo sets a status only when it is not 200.
              status: response.http.status ?? 200,
              durationMs: Math.round(seconds * 1000),
              outcome,
              errors: errors?.length ?? 0,
              requestId: contextValue.requestId,
              ...(contextValue.clientRequestId ? { clientRequestId: contextValue.clientRequestId } : {}),
              ...(contextValue.traceId ? { traceId: contextValue.traceId } : {}),
              userId: contextValue.caller.userId,
              ...(contextValue.subgraphCalls ? { subgraphs: contextValue.subgraphCalls } : {}),
            },
            'request',
          );
        },
      };
    },
  };
}
