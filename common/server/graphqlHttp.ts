import type { ErrorRequestHandler, Express } from 'express';
import { STATUS, type StatusCode } from '../errors';

/**
 * A GraphQL-shaped error body for failures that happen before GraphQL runs,
 * with the request id when one was assigned (see assignRequestId) and the
 * trace id when the request is traced (see traceHttpRequests).
 */
export function errorBody(code: StatusCode, message: string, details: Record<string, unknown> = {}, requestId?: unknown, traceId?: unknown) {
  const id = typeof requestId === 'string' ? { requestId } : {};
  const trace = typeof traceId === 'string' ? { traceId } : {};
  return { errors: [{ message, extensions: { ...details, code, grpcStatus: STATUS[code].grpcStatus, ...id, ...trace } }] };
}

/**
 * Turns body-parser failures (bad JSON, too large) into GraphQL error
 * responses instead of Express's HTML error page with a stack trace.
 */
export const bodyErrorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) return next(error);
  const type = (error as { type?: unknown }).type;
  const { requestId, traceId } = res.locals;
  const status = (error as { status?: unknown }).status;
  if (type === 'entity.too.large') {
    res.status(413).json(errorBody('RESOURCE_EXHAUSTED', 'The request body is too large.', {}, requestId, traceId));
  } else if (type === 'entity.parse.failed') {
    res.status(400).json(errorBody('INVALID_ARGUMENT', 'The request body is not valid JSON.', {}, requestId, traceId));
  } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    res.status(415).json(errorBody('INVALID_ARGUMENT', 'The request body’s encoding or charset is not supported.', {}, requestId, traceId));
  } else if (typeof status === 'number' && status >= 400 && status < 500) {
    // Any other refusal of the body parser is the client's mistake, not ours.
    res.status(status).json(errorBody('INVALID_ARGUMENT', 'The request body cannot be read.', {}, requestId, traceId));
  } else {
    res.status(500).json(errorBody('INTERNAL', 'Internal error.', {}, requestId, traceId));
  }
};

/** Answers unknown paths with a JSON 404 rather than Express's HTML page. */
export function notFoundHandler(app: Express): void {
  app.use((_req, res) => {
    res.status(404).json(errorBody('NOT_FOUND', 'No such endpoint; GraphQL is served at /graphql.', {}, res.locals.requestId, res.locals.traceId));
  });
}
