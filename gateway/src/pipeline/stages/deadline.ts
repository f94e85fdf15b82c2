import { context as traceContext } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import { STATUS, timeoutMs } from '@car-check/service-kit';
import { defineStage, need } from '../stage';

/**
 * The request's deadline (REQUEST_TIMEOUT_MS) and its abort signal, in the
 * context that Apollo Gateway and the subgraph client see: past the deadline,
 * or when the client hangs up, every subgraph call of the request stops.
 */
export const deadline = defineStage({
  name: 'deadline',
  env: { REQUEST_TIMEOUT_MS: timeoutMs().default(15_000) },
  configure: (env) => ({
    /** A request's deadline at the gateway: past it, its subgraph calls are aborted. */
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
  }),
  create:
    (config, { log }) =>
    async (request, next) => {
      const { requestId, clientRequestId, traceId, traceContext: requestTrace } = request;
      const deadlineAt = Date.now() + config.requestTimeoutMs;
      // Bound to the request's trace: it runs from the socket's `close` event, outside the request's async context.
      const onHangUp = traceContext.bind(requestTrace ?? traceContext.active(), () =>
        log.info(
          { requestId, clientRequestId, traceId, code: 'CANCELLED', grpcStatus: STATUS.CANCELLED.grpcStatus },
          'client disconnected; subgraph calls aborted',
        ),
      );
      request.context = {
        requestId,
        clientRequestId,
        traceId,
        traceContext: requestTrace,
        caller: need(request.caller, 'caller'),
        deadline: deadlineAt,
        signal: requestSignal(need(request.http.res, 'HTTP response'), config.requestTimeoutMs, onHangUp),
        idempotencyKey: need(request.idempotencyKey, 'idempotency key'),
        subgraphCalls: [],
      };
      return next();
    },
});

/**
 * Aborted when the client hangs up before its answer is written, or the
 * request's deadline passes: one controller and one timer per request,
 * released as soon as the answer is written.
 */
function requestSignal(res: ServerResponse, timeoutMs: number, onHangUp: () => void): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  res.once('close', () => {
    clearTimeout(timer);
    if (res.writableFinished || controller.signal.aborted) return;
    controller.abort();
    onHangUp();
  });
  return controller.signal;
}
