import type { Request, RequestHandler, Response } from 'express';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import {
  formatError,
  graphError,
  MASKED_CODES,
  negotiateResponseType,
  probeHalfClosedStream,
  requestShapeProblem,
  codeForError,
  type Logger,
} from '@car-check/service-kit';
import type { RequestInfo } from '../server/subgraph';
import type { EntityChange } from './change';
import type { SubscriptionHub } from './hub';

export const EVENT_STREAM = 'text/event-stream';
/** An SSE comment: what a reader skips, written while the stream is idle. */
const HEARTBEAT = ':\n\n';

export interface SseOptions<Ctx> {
  schema: GraphQLSchema;
  hub: SubscriptionHub;
  log: Logger;
  /** What the signed request says about itself (as for a query), with the signal of this stream. */
  requestInfo: (res: Response, signal: AbortSignal) => RequestInfo;
  /** The subgraph's per-request context: built for the subscription, and afresh for every event. */
  context: (request: RequestInfo) => Ctx;
}

/** Whether the client asked for a stream: `Accept` lists text/event-stream (with a quality above 0). */
export function acceptsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    return type === EVENT_STREAM && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * Serves a subscription POSTed to `/graphql` with `Accept: text/event-stream`, in
 * graphql-sse's "distinct connections mode" (docs/subscriptions.md, "Wire protocol"):
 * one `next` event per change, with the change's cursor as the SSE `id`, heartbeat
 * comments while idle, and `complete` at the end. A request that cannot start (bad
 * document, refused field, bad cursor) gets one `next` with its errors, then
 * `complete`; so does a stream that ends on an error (with the cursor to resume from).
 * It runs after the signature check, like a query. Other requests go on to Apollo Server.
 */
export function subscriptionsOverSse<Ctx>(options: SseOptions<Ctx>): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || !acceptsEventStream(req.headers.accept)) return next();
    // A client that takes JSON too gets its queries and mutations answered as usual.
    if (negotiateResponseType(req.headers.accept) !== null && !isSubscription(req.body)) return next();
    serveStream(options, req, res).catch((error: unknown) => {
      options.log.error({ err: error, requestId: res.locals.requestId }, 'subscriptions: a stream failed');
      if (!res.headersSent) res.status(500);
      res.end();
    });
  };
}

async function serveStream<Ctx>(options: SseOptions<Ctx>, req: Request, res: Response): Promise<void> {
  const { log, hub } = options;
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  res.status(200).set({
    'content-type': `${EVENT_STREAM}; charset=utf-8`,
    'cache-control': 'no-store',
    // Proxies (nginx) would otherwise hold events back.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const writer = new EventWriter(res);

  const request = readRequest(req, options.schema);
  if ('errors' in request) return writer.fail(request.errors, options.log);

  const info: RequestInfo = {
    ...options.requestInfo(res, abort.signal),
    stream: { hub, lastEventId: lastEventIdOf(req) },
  };
  const args = {
    schema: options.schema,
    document: request.document,
    variableValues: request.variables,
    operationName: request.operationName,
  };
  const started = await createSourceEventStream({ ...args, contextValue: options.context(info) });
  if (!(Symbol.asyncIterator in started)) return writer.fail(started.errors ?? [], log);
  // The subscribe resolvers of this kit yield changes (changeSubscription).
  const source = started[Symbol.asyncIterator]() as AsyncIterator<EntityChange>;

  log.info({ requestId: info.requestId, caller: info.caller.userId, streams: hub.size }, 'subscription started');
  const heartbeat = setInterval(() => writer.heartbeat(), hub.settings.heartbeatMs);
  // A gateway that leaves the stream is noticed at once, not at the next heartbeat.
  const stopProbing = probeHalfClosedStream(res, HEARTBEAT);
  const stop = () => void source.return?.();
  abort.signal.addEventListener('abort', stop);
  // The client may have hung up while the stream opened: release it now, not at its next event.
  if (abort.signal.aborted) stop();
  try {
    for (;;) {
      const step: IteratorResult<EntityChange, unknown> = await source.next();
      if (step.done || abort.signal.aborted) break;
      const change = step.value;
      // Each event sees the data as it is now: fresh loaders, no cache from the previous one.
      const result = await execute({ ...args, rootValue: change, contextValue: options.context(info) });
      await writer.next(formatResult(result, log), change.cursor);
    }
    writer.complete();
  } catch (error) {
    writer.fail([error instanceof GraphQLError ? error : graphError('INTERNAL', 'The stream failed.')], log, error);
  } finally {
    clearInterval(heartbeat);
    stopProbing();
    abort.signal.removeEventListener('abort', stop);
    void source.return?.();
    log.info({ requestId: info.requestId, streams: hub.size }, 'subscription ended');
  }
}

type ReadRequest =
  | { document: DocumentNode; variables: Record<string, unknown> | undefined; operationName: string | undefined }
  | { errors: readonly GraphQLError[] };

/** The request's subscription, checked as Apollo Server would check a query: its body, document and operation. */
function readRequest(req: Request, schema: GraphQLSchema): ReadRequest {
  const invalid = (message: string) => ({ errors: [graphError('INVALID_ARGUMENT', message)] });
  if (!req.is('application/json')) return invalid('Send GraphQL requests as `content-type: application/json`.');
  const problem = requestShapeProblem(req.body);
  if (problem) return invalid(problem);
  const body = req.body as {
    query?: string | null;
    variables?: Record<string, unknown> | null;
    operationName?: string | null;
  };
  if (!body.query) return invalid('The request has no `query`.');
  let document: DocumentNode;
  try {
    document = parse(body.query);
  } catch (error) {
    return invalid(error instanceof GraphQLError ? error.message : 'The query cannot be parsed.');
  }
  const errors = validate(schema, document);
  if (errors.length > 0) {
    return { errors: errors.map((error) => graphError('INVALID_ARGUMENT', error.message, {}, { nodes: error.nodes })) };
  }
  const operation = getOperationAST(document, body.operationName ?? undefined);
  if (!operation) return invalid('The document has no such operation, or several and no `operationName`.');
  if (operation.operation !== 'subscription') {
    return invalid('Only subscriptions are served as text/event-stream; send queries and mutations as JSON.');
  }
  return { document, variables: body.variables ?? undefined, operationName: body.operationName ?? undefined };
}

/** Whether a request body holds a subscription (a document that does not parse is not one). */
function isSubscription(body: unknown): boolean {
  const { query, operationName } = (typeof body === 'object' && body !== null ? body : {}) as {
    query?: unknown;
    operationName?: unknown;
  };
  if (typeof query !== 'string') return false;
  try {
    const name = typeof operationName === 'string' ? operationName : undefined;
    return getOperationAST(parse(query), name)?.operation === 'subscription';
  } catch {
    return false;
  }
}

/** `Last-Event-ID`: the cursor of the last event the client (the gateway) delivered. */
function lastEventIdOf(req: Request): string | null {
  const value = req.headers['last-event-id'];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** A result as every answer of this service is sent: codes on every error, internal ones masked. */
function formatResult(result: ExecutionResult, log: Logger): Record<string, unknown> {
  if (!result.errors?.length) return { data: result.data };
  return { data: result.data, errors: formatErrors(result.errors, log) };
}

function formatErrors(errors: readonly GraphQLError[], log: Logger, cause?: unknown) {
  return errors.map((error) => {
    const formatted = error.toJSON();
    if (MASKED_CODES.has(codeForError(formatted, error)))
      log.error({ err: cause ?? error.originalError ?? error }, 'subscriptions: internal error');
    return formatError(formatted, error);
  });
}

/** The SSE side of a response: events, comments, and the end. */
class EventWriter {
  constructor(private readonly res: Response) {}

  /** One `next` event; waits while the client's socket is full, so a slow client backs up the stream. */
  async next(payload: Record<string, unknown>, id?: string): Promise<void> {
    const idLine = id ? `id: ${id}\n` : '';
    if (!this.write(`event: next\n${idLine}data: ${JSON.stringify(payload)}\n\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off('drain', done);
          this.res.off('close', done);
          resolve();
        };
        this.res.once('drain', done);
        this.res.once('close', done);
      });
    }
  }

  heartbeat(): void {
    this.write(HEARTBEAT);
  }

  complete(): void {
    this.write('event: complete\ndata:\n\n');
    this.res.end();
  }

  /** The errors that end (or never start) the stream, then `complete`. */
  fail(errors: readonly GraphQLError[], log: Logger, cause?: unknown): void {
    if (this.res.writableEnded) return;
    this.write(`event: next\ndata: ${JSON.stringify({ errors: formatErrors(errors, log, cause) })}\n\n`);
    this.complete();
  }

  private write(chunk: string): boolean {
    if (this.res.writableEnded || this.res.destroyed) return true;
    return this.res.write(chunk);
  }
}
