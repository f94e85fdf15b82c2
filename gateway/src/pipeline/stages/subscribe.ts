import { z } from 'zod';
import { positiveCount, timeoutMs } from '@car-check/service-kit';
import { notAcceptable } from '../readRequest';
import { defineStage, need } from '../stage';

/**
 * A subscription leaves the request path here, after it has been admitted,
 * authenticated, resolved (trusted documents), measured and validated like
 * any operation, and before the request's deadline (a stream has none) and
 * inflight sharing: it becomes a live subscription of this process
 * (subscriptions/), within SUBSCRIPTIONS_PER_CALLER and
 * SUBSCRIPTIONS_PER_PROCESS, and the answer is its stream, written by the
 * transport that asked for it. Queries and mutations go on.
 */
export const subscribe = defineStage({
  name: 'subscribe',
  env: {
    SUBSCRIPTIONS_PER_CALLER: positiveCount(20).describe(
      'live subscriptions one caller (user, service, or address when anonymous) may hold on one gateway process; past it, 429 RESOURCE_EXHAUSTED',
    ),
    SUBSCRIPTIONS_PER_PROCESS: positiveCount(10_000).describe(
      'live subscriptions one gateway process serves; past it, 429 RESOURCE_EXHAUSTED',
    ),
    SUBSCRIPTION_HEARTBEAT_MS: timeoutMs()
      .default(15_000)
      .describe(
        'how often an idle subscription stream carries a heartbeat (SSE comment, multipart `{}`, WebSocket ping)',
      ),
    SUBSCRIPTION_BUFFER_EVENTS: positiveCount(1_000).describe(
      'events waiting for a slow subscriber; past it, its subscription ends with RESOURCE_EXHAUSTED and the cursor to resume after',
    ),
    // With TOKEN_STATUS_CACHE_MS (at most 4 s) this bounds how long a revoked token keeps a stream: 5 s.
    SUBSCRIPTION_AUTH_RECHECK_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(1_000)
      .default(1_000)
      .describe("how often a subscription's token is checked again (revocation, expiry)"),
    SUBSCRIPTION_RECONNECT_MS: timeoutMs()
      .default(30_000)
      .describe(
        "how long the gateway tries to reopen a subgraph's dropped subscription stream before it ends the subscription (UNAVAILABLE)",
      ),
  },
  configure: (env) => ({
    subscriptions: {
      perCaller: env.SUBSCRIPTIONS_PER_CALLER,
      perProcess: env.SUBSCRIPTIONS_PER_PROCESS,
      /** How often an idle stream carries a heartbeat (SSE comment, multipart `{}`, WebSocket ping). */
      heartbeatMs: env.SUBSCRIPTION_HEARTBEAT_MS,
      bufferEvents: env.SUBSCRIPTION_BUFFER_EVENTS,
      authRecheckMs: env.SUBSCRIPTION_AUTH_RECHECK_MS,
      reconnectForMs: env.SUBSCRIPTION_RECONNECT_MS,
    },
  }),
  create:
    (_config, { subscriptions }) =>
    async (request, next) => {
      const operation = need(request.operation, 'operation');
      if (operation.operation !== 'subscription') {
        // Asked for a stream only: a query or mutation has no answer it accepts.
        if (request.streaming && request.mediaType === undefined) throw notAcceptable();
        return next();
      }
      const params = need(request.params, 'GraphQL request');
      const text = need(request.text, 'operation text');
      const { requestId, clientRequestId, traceId, traceContext, token } = request;
      const lastEventId = request.http.req.headers['last-event-id'];
      const stream = subscriptions.open(
        {
          document: need(request.document, 'document'),
          operation,
          operationName: params.operationName,
          variables: params.variables,
          source: text.query,
          queryHash: text.hash,
          context: {
            requestId,
            clientRequestId,
            traceId,
            traceContext,
            caller: need(request.caller, 'caller'),
            // Replaced by the subscription's own signal: it ends when the subscription does.
            signal: new AbortController().signal,
            deadline: Number.POSITIVE_INFINITY,
            idempotencyKey: null,
            subgraphCalls: [],
          },
          token: typeof token === 'string' ? token : undefined,
          lastEventId: typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined,
        },
        request.address,
      );
      return { kind: 'stream', stream };
    },
});
