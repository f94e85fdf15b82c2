import type { Request, Response } from 'express';
import { trace } from '@opentelemetry/api';
import {
  inRequestTrace,
  type Logger,
  requestTraceContext,
  requestTraceId,
  type ServiceMetrics,
  setSpanOutcome,
} from '@car-check/service-kit';
import { bearerToken } from './stages/authenticate';
import { Refusal } from './refusal';
import { internalRefusal, writeApolloResponse, writeRefusal, writeSharedAnswer } from './respond';
import { type GatewayRequest, runStages, type StageHandler } from './stage';
import { DEFERRED_PARTS, SUBSCRIPTION_FRAMINGS, writeStream } from './writeStream';

interface RequestPath {
  /** The stages' handlers, in the order of stages.ts. */
  handlers: readonly StageHandler[];
  log: Logger;
  metrics: ServiceMetrics;
  /** How often an idle subscription stream carries a heartbeat. */
  heartbeatMs: number;
}

/**
 * Serves `/graphql` over HTTP: runs each request through the stages
 * (stages.ts), writes the answer, or the first refusal with its status.
 *
 * The whole path runs inside the request's server span (traceHttpRequests,
 * which continues the client's `traceparent` or starts a trace): Apollo
 * Gateway's own spans and each subgraph fetch are its children, every log
 * line names its trace, and every error carries its trace id.
 */
export function handleGraphQL(path: RequestPath) {
  return (req: Request, res: Response): Promise<void> => inRequestTrace(res, () => serve(path, req, res));
}

async function serve(path: RequestPath, req: Request, res: Response): Promise<void> {
  const request = arrived(req, res);
  const { requestId, traceId } = request;
  try {
    const answer = await runStages(path.handlers, request);
    if (answer.kind === 'apollo') await writeApolloResponse(res, answer.response, requestId, traceId);
    else if (answer.kind === 'shared') writeSharedAnswer(res, answer.answer, requestId, traceId);
    else if (answer.kind === 'deferred') await writeStream(res, answer.stream, DEFERRED_PARTS, path.heartbeatMs);
    else {
      const transport = request.streaming === 'multipart' ? 'multipart' : 'sse';
      path.log.info({ requestId, traceId, transport }, 'subscription started');
      await writeStream(res, answer.stream, SUBSCRIPTION_FRAMINGS[transport], path.heartbeatMs);
      path.log.info({ requestId, traceId, transport }, 'subscription ended');
    }
  } catch (error) {
    const refusal = error instanceof Refusal ? error : internalRefusal();
    if (refusal === error) {
      path.log.info(
        { requestId, traceId, status: refusal.status, code: refusal.code, reason: refusal.message },
        'refused',
      );
    } else {
      path.log.error({ requestId, traceId, err: error }, 'unexpected error in the request path');
    }
    path.metrics.observeRequest(
      undefined,
      refusal.options.protocolCode ?? refusal.code,
      (performance.now() - request.started) / 1000,
    );
    if (request.span) setSpanOutcome(request.span, refusal.options.protocolCode ?? refusal.code);
    writeRefusal(res, refusal, requestId, traceId);
  }
}

/** The request as it arrived, before any stage: nothing here can refuse it. */
function arrived(req: Request, res: Response): GatewayRequest {
  const traceContext = requestTraceContext(res);
  let url: URL | undefined;
  return {
    http: {
      req,
      res,
      // Read by the stages that need it, after admission.
      get url() {
        return (url ??= new URL(req.originalUrl, 'http://gateway'));
      },
    },
    started: performance.now(),
    requestId: res.locals.requestId as string,
    clientRequestId: res.locals.clientRequestId as string | undefined,
    traceId: requestTraceId(res),
    traceContext,
    span: traceContext && trace.getSpan(traceContext),
    address: req.socket.remoteAddress ?? 'unknown',
    token: bearerToken(req.headers.authorization),
  };
}
