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

/** What a request's log line says of its context. */
export interface ObservedContext {
  requestId: string;
  clientRequestId?: string;
  traceId?: string;
  caller: CallerIdentity;
  subgraphCalls?: SubgraphCall[];
}

/** A request's outcome: `OK` without errors, else the code of the first one (`INTERNAL` when it has none). */
export function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | null | undefined): string {
  if (!errors?.length) return 'OK';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}

/** What the log line and the metrics sample of one GraphQL request say. */
export interface RequestRecord {
  method?: string;
  operationName?: string;
  status: number;
  seconds: number;
  /** outcomeOf(its errors). */
  outcome: string;
  errors: number;
  context: ObservedContext;
  /** Answered with an identical request's answer (the gateway's inbound deduplication). */
  deduplicated?: boolean;
}

/**
 * One structured log line and one metrics sample for a GraphQL request: the
 * HTTP method and status, the operation, how long it took, its outcome (OK or the code of its first error),
 * the request id, the trace id and the user; at the gateway also each subgraph
 * call's timing. Nothing from the request body or headers is logged.
 */
export function logRequest(log: Logger, metrics: ServiceMetrics, record: RequestRecord): void {
  const { context } = record;
  // Only an authenticated caller's operation names may take a label slot (see ServiceMetrics).
  const known = context.caller.userId !== null || context.caller.service !== null;
  metrics.observeRequest(record.operationName, record.outcome, record.seconds, known);
  log.info(
    {
      method: record.method,
      operationName: record.operationName ?? null,
      status: record.status,
      durationMs: Math.round(record.seconds * 1000),
      outcome: record.outcome,
      errors: record.errors,
      requestId: context.requestId,
      ...(context.clientRequestId ? { clientRequestId: context.clientRequestId } : {}),
      ...(context.traceId ? { traceId: context.traceId } : {}),
      userId: context.caller.userId,
      ...(context.subgraphCalls ? { subgraphs: context.subgraphCalls } : {}),
      ...(record.deduplicated ? { deduplicated: true } : {}),
    },
    'request',
  );
}

/** {@link logRequest} for every request Apollo Server answers. */
export function requestLogPlugin<Ctx extends ObservedContext>(
  log: Logger,
  metrics: ServiceMetrics,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, contextValue, operationName }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          logRequest(log, metrics, {
            method: request.http?.method,
            operationName: operationName ?? request.operationName ?? undefined,
            // Apollo sets a status only when it is not 200.
            status: response.http.status ?? 200,
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
            outcome: outcomeOf(errors),
            errors: errors?.length ?? 0,
            context: contextValue,
          });
        },
      };
    },
  };
}
