import type { HTTPGraphQLResponse } from '@apollo/server';
import cluster from 'node:cluster';
import { flag, logRequest, TRACE_ATTRIBUTES } from '@car-check/service-kit';
import { InflightQueries } from '../inflightQueries';
import { type Answer, defineStage, need } from '../stage';
import { WorkerInflight } from '../workerInflight';

/**
 * Inbound deduplication (DEDUPLICATE_QUERIES, see inflightQueries.ts): a query
 * identical to one in flight, from a caller with the same identity and
 * scopes, waits for that one's answer instead of running again.
 */
export const inflight = defineStage({
  name: 'inflight',
  env: { DEDUPLICATE_QUERIES: flag(true) },
  configure: (env) => ({
    /**
     * Identical queries in flight at once, from callers with the same identity
     * and scopes, share one execution (inbound here, outbound in the subgraph client).
     */
    deduplicateQueries: env.DEDUPLICATE_QUERIES,
  }),
  create: (config, { log, metrics }) => {
    if (!config.deduplicateQueries) return (_request, next) => next();
    // A clustered gateway's workers share executions with each other too (inflightRegistry.ts).
    const queries = new InflightQueries(cluster.isWorker ? WorkerInflight.ofProcess() : undefined);
    return async (request, next) => {
      const operation = need(request.operation, 'operation');
      // A caller reading its own writes (a consistency token) waits for no earlier identical query.
      if (operation.operation !== 'query' || request.context?.readAfter) return next();
      const params = need(request.params, 'GraphQL request');
      const key = InflightQueries.keyOf(
        need(request.text, 'operation text').hash,
        params.operationName,
        params.variables,
        need(request.caller, 'caller'),
        request.mediaType,
      );
      const context = need(request.context, 'context');
      const shared = await queries.run(key, () => apolloResponseOf(next()), context.deadline, operation);
      if (shared.leader) return { kind: 'apollo', response: shared.response };
      // Not shareable (streamed): this request runs on its own.
      if (!shared.answer) return next();
      // This request's trace has no fetches of its own: they are in the trace of the request it waited for.
      if (request.span?.isRecording()) request.span.setAttribute(TRACE_ATTRIBUTES.deduplicated, true);
      logRequest(log, metrics, {
        method: params.method,
        operationName: operation.name?.value,
        status: shared.answer.status,
        seconds: (performance.now() - request.started) / 1000,
        outcome: shared.answer.outcome,
        errors: shared.answer.errors,
        // No subgraph calls of its own: they are in the log line of the request it waited for.
        context: { ...context, subgraphCalls: undefined },
        deduplicated: true,
      });
      return { kind: 'shared', answer: shared.answer };
    };
  },
});

async function apolloResponseOf(answer: Promise<Answer>): Promise<HTTPGraphQLResponse> {
  const answered = await answer;
  if (answered.kind !== 'apollo')
    throw new Error('inbound deduplication shares Apollo answers only: it must come right before execute in stages.ts');
  return answered.response;
}
