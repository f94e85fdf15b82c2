import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Request, Response } from 'express';
import { context as traceContext, trace } from '@opentelemetry/api';
import {
  inRequestTrace,
  type Logger,
  requestTraceContext,
  requestTraceId,
  type ServiceMetrics,
  setSpanOutcome,
  STATUS,
  TRACE_ATTRIBUTES,
} from '@car-check/service-kit';
import type { TokenVerifier } from '../auth/tokenVerifier';
import type { GatewayContext } from '../context';
import type { Admission } from './admission';
import { authenticate, bearerToken } from './authenticate';
import type { Documents, ServedSchema } from './documents';
import { acceptedMediaType, readGraphQLRequest, type IntakeLimits } from './intake';
import type { OperationTexts } from './operationText';
import { invalidRequest, Refusal } from './refusal';
import { InflightQueries } from './inflight';
import { internalRefusal, writeApolloResponse, writeRefusal, writeSharedAnswer } from './respond';

export interface RequestPath {
  apollo: ApolloServer<GatewayContext>;
  admission: Admission;
  verifier: TokenVerifier;
  texts: OperationTexts;
  /** Inbound deduplication of identical queries; null when turned off. */
  inflight: InflightQueries | null;
  documents: Documents;
  /** The schema being served; undefined until the first supergraph has loaded. */
  served: () => ServedSchema | undefined;
  intake: IntakeLimits;
  /** The whole request's deadline: past it, subgraph calls are aborted. */
  requestTimeoutMs: number;
  landingPage: boolean;
  log: Logger;
  metrics: ServiceMetrics;
}

/**
 * The gateway's request path, the same for every transport (POST, GET,
 * persisted queries), read top to bottom:
 *
 *   admission → intake → authenticate → operation text → parse → select →
 *   measure → validate → [Apollo: authorize → plan → execute] → respond
 *
 * Each stage either hands the next one its result or throws a {@link Refusal};
 * the first refusal is the answer. Nothing expensive runs before the rate
 * limit has counted the request, and nothing is validated or planned before
 * it has been measured.
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
  const started = performance.now();
  const requestId = res.locals.requestId as string;
  const traceId = requestTraceId(res);
  const requestTrace = requestTraceContext(res);
  const requestSpan = requestTrace && trace.getSpan(requestTrace);
  const address = req.socket.remoteAddress ?? 'unknown';
  try {
    const token = bearerToken(req.headers.authorization);
    await path.admission.admit({ userId: token ? path.verifier.knownUser(token) : null, address });

    const url = new URL(req.originalUrl, 'http://gateway');
    if (path.landingPage && wantsLandingPage(req, url)) {
      return await writeApolloResponse(res, await path.apollo.executeHTTPGraphQLRequest({
        // Apollo Server renders its landing page for a GET that prefers HTML, before any context is needed.
        httpGraphQLRequest: { method: 'GET', headers: new HeaderMap([['accept', 'text/html']]), search: '', body: undefined },
        context: async () => {
          throw new Error('the landing page needs no context');
        },
      }), requestId, traceId);
    }

    const params = await readGraphQLRequest(req, url, path.intake);
    const mediaType = acceptedMediaType(req);
    const caller = await authenticate(token, address, path.verifier, path.log, { requestId, traceId, traceContext: requestTrace });
    const idempotencyKey = idempotencyKeyOf(req.headers[IDEMPOTENCY_KEY_HEADER]);
    const text = path.texts.resolve(params);
    const served = path.served();
    if (!served) throw new Refusal(503, 'UNAVAILABLE', 'The gateway has not loaded its supergraph yet; retry shortly.', {}, { headers: { 'retry-after': '1' } });
    const operation = path.documents.admit(text, params.operationName, params.method, params.variables, served);
    path.texts.register(text);

    const deadline = Date.now() + path.requestTimeoutMs;
    // Bound to the request's trace: it runs from the socket's `close` event, outside the request's async context.
    const signal = requestSignal(res, path.requestTimeoutMs, traceContext.bind(requestTrace ?? traceContext.active(), () =>
      path.log.info({ requestId, clientRequestId: res.locals.clientRequestId as string | undefined, traceId, code: 'CANCELLED', grpcStatus: STATUS.CANCELLED.grpcStatus }, 'client disconnected; subgraph calls aborted'),
    ));
    const clientRequestId = res.locals.clientRequestId as string | undefined;
    const context: GatewayContext = { requestId, clientRequestId, traceId, traceContext: requestTrace, caller, deadline, signal, idempotencyKey, subgraphCalls: [] };
    const execute = () =>
      path.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          // The media type already chosen: Apollo's graphqlOverHttpPlugin sets the status and content type from it.
          headers: new HeaderMap([['content-type', 'application/json'], ['accept', mediaType]]),
          search: '',
          body: { query: text.query, variables: params.variables, ...(params.operationName !== undefined ? { operationName: params.operationName } : {}) },
        },
        context: async () => context,
      });
    if (path.inflight && operation.operation === 'query') {
      const key = InflightQueries.keyOf(text.hash, params.operationName, params.variables, caller, mediaType);
      const shared = await path.inflight.run(key, execute);
      if (shared.leader) return await writeApolloResponse(res, shared.response, requestId, traceId);
      if (shared.answer) {
        // This request's trace has no fetches of its own: they are in the trace of the request it waited for.
        if (requestSpan?.isRecording()) requestSpan.setAttribute(TRACE_ATTRIBUTES.deduplicated, true);
        writeSharedAnswer(res, shared.answer, requestId, traceId);
        path.metrics.observeRequest(operation.name?.value, shared.answer.outcome, (performance.now() - started) / 1000, caller.userId !== null);
        path.log.info(
          { operationName: operation.name?.value ?? null, durationMs: Math.round(performance.now() - started), outcome: shared.answer.outcome, requestId, traceId, userId: caller.userId, deduplicated: true },
          'request',
        );
        return;
      }
    }
    await writeApolloResponse(res, await execute(), requestId, traceId);
  } catch (error) {
    const refusal = error instanceof Refusal ? error : internalRefusal();
    if (refusal === error) {
      path.log.info({ requestId, traceId, status: refusal.status, code: refusal.code, reason: refusal.message }, 'refused');
    } else {
      path.log.error({ requestId, traceId, err: error }, 'unexpected error in the request path');
    }
    path.metrics.observeRequest(undefined, refusal.options.protocolCode ?? refusal.code, (performance.now() - started) / 1000);
    if (requestSpan) setSpanOutcome(requestSpan, refusal.options.protocolCode ?? refusal.code);
    writeRefusal(res, refusal, requestId, traceId);
  }
}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,255}$/;

/** The client's Idempotency-Key, when it sent a well-formed one (8 to 255 printable ASCII characters). */
function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw invalidRequest('`Idempotency-Key` must be 8 to 255 printable ASCII characters, e.g. a UUID.');
  }
  return header;
}

/**
 * Aborted when the client hangs up before its answer is written, or the
 * request's deadline passes: one controller and one timer per request,
 * released as soon as the answer is written.
 */
function requestSignal(res: Response, timeoutMs: number, onHangUp: () => void): AbortSignal {
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

function wantsLandingPage(req: Request, url: URL): boolean {
  return req.method === 'GET' && !url.searchParams.has('query') && !url.searchParams.has('extensions') && (req.headers.accept ?? '').includes('text/html');
}
