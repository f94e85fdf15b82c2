import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { CloseCode, type Context as WsContext, handleProtocols, makeServer, type SubscribePayload } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import { context as otelContext, SpanKind, trace } from '@opentelemetry/api';
import {
  errorBody,
  extractTraceContext,
  type Logger,
  REQUEST_ID_HEADER,
  MEDIA_TYPES,
  setSpanOutcome,
  startRequestSpan,
  traceIdOf,
  tracerFor,
} from '@car-check/service-kit';
import { bearerToken } from '../pipeline/stages/authenticate';
import { internalRefusal } from '../pipeline/respond';
import { Refusal } from '../pipeline/refusal';
import { type GatewayRequest, need, runStages, type StageHandler } from '../pipeline/stage';
import type { ServedSchema } from '../supergraph/servedSchema';
import type { Subscription, SubscriptionMessage } from './subscription';

interface WebSocketOptions {
  /** The request path's built stages (pipeline/stages.ts), by name. */
  stages: readonly { readonly name: string; handle: StageHandler }[];
  log: Logger;
  /** How often the server pings an idle connection. */
  heartbeatMs: number;
  served(): ServedSchema | undefined;
}

/** The WebSocket close code of a server going down (RFC 6455). */
const GOING_AWAY = 1001;

/** What each connection carries into graphql-ws's callbacks. */
interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** What onSubscribe hands graphql-ws's `subscribe`: the subscription the request path started. */
interface Started {
  subscription: Subscription;
}

/**
 * GraphQL over WebSocket (`graphql-transport-ws`, the `graphql-ws` library) on
 * `/graphql`. Each `subscribe` message goes through the same stages as an
 * HTTP request (admission, authentication, operation text and trusted
 * documents, limits, validation), with this transport's own intake in place
 * of `intake` (the message is the request) and a refusal of anything but a
 * subscription in place of `deadline` (queries and mutations go over HTTP).
 * The token is the connection's: `{ authorization: "Bearer ..." }` in
 * `connection_init`'s payload, or the upgrade request's `Authorization`.
 * Each event's `extensions.cursor` is the cursor to resume after (`after:`).
 * Returns a function that closes every connection (1001, going away).
 */
export function serveWebSocketSubscriptions(server: Server, options: WebSocketOptions): () => Promise<void> {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => handleProtocols(protocols) || false,
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isWebSocketHandshake(req)) return refuseUpgrade(socket);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const tokens = new WeakMap<object, string | null | undefined>();
  const graphqlWs = makeServer<Record<string, unknown> | undefined, Extra>({
    onConnect: (ctx) => {
      const param = ctx.connectionParams?.authorization;
      const token = bearerToken(typeof param === 'string' ? param : ctx.extra.request.headers.authorization);
      tokens.set(ctx, token);
      // Authentication itself happens per subscription, in the request path.
      return true;
    },
    onSubscribe: async (ctx, _id, payload) => {
      const requestId = randomUUID();
      try {
        const started = await start(ctx, payload, tokens.get(ctx), requestId, options);
        const served = need(options.served(), 'supergraph');
        const contextValue: Started = { subscription: started.stream };
        return {
          schema: served.schema,
          document: started.document,
          operationName: payload.operationName ?? undefined,
          variableValues: payload.variables ?? {},
          contextValue,
        };
      } catch (error) {
        const refusal = error instanceof Refusal ? error : internalRefusal();
        if (refusal !== error) {
          options.log.error({ err: error, requestId }, 'unexpected error starting a WebSocket subscription');
        } else {
          options.log.info(
            { requestId, status: refusal.status, code: refusal.code, reason: refusal.message },
            'refused',
          );
        }
        return refusal
          .body(requestId)
          .errors.map((formatted) => new GraphQLError(formatted.message, { extensions: formatted.extensions }));
      }
    },
    subscribe: (args) => {
      const started = args.contextValue;
      if (!isStarted(started)) throw new Error('a WebSocket subscription without its started stream');
      return resultsOf(started.subscription);
    },
  });
  wss.on('connection', (socket, request) => serveConnection(graphqlWs, socket, request, options));
  return async () => {
    for (const client of wss.clients) client.close(GOING_AWAY, 'The gateway is shutting down');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

/**
 * One WebSocket connection handed to graphql-ws (as its `use/ws` adapter does),
 * pinged every `heartbeatMs`: a peer that has not answered the previous ping
 * is cut, which ends its subscriptions.
 */
function serveConnection(
  graphqlWs: ReturnType<typeof makeServer<Record<string, unknown> | undefined, Extra>>,
  socket: WebSocket,
  request: IncomingMessage,
  options: WebSocketOptions,
): void {
  let alive = true;
  socket.on('pong', () => (alive = true));
  const pinger = setInterval(() => {
    if (!alive) return void socket.terminate();
    alive = false;
    socket.ping();
  }, options.heartbeatMs);
  pinger.unref();
  const closed = graphqlWs.opened(
    {
      protocol: socket.protocol,
      send: (data) =>
        new Promise<void>((resolve, reject) => {
          // The client hung up while a message was on its way: nothing to deliver, nothing failed.
          if (socket.readyState !== WebSocket.OPEN) return resolve();
          socket.send(data, (error) => (error ? reject(error) : resolve()));
        }),
      close: (code, reason) => socket.close(code, reason),
      onMessage: (handle) =>
        socket.on('message', (data: Buffer) => {
          handle(data.toString('utf8')).catch((error: unknown) => {
            options.log.error({ err: error }, 'WebSocket message failed');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
          });
        }),
    },
    { socket, request },
  );
  socket.once('close', (code, reason) => {
    clearInterval(pinger);
    void closed(code, reason.toString('utf8'));
  });
}

/**
 * A WebSocket handshake this server takes: `GET /graphql` with `Upgrade:
 * websocket`, a key and version 13. Node hands every request that asks for an
 * upgrade to the upgrade listener (never to the app), so anything else is
 * answered here.
 */
function isWebSocketHandshake(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0];
  return (
    req.method === 'GET' &&
    path === '/graphql' &&
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    typeof req.headers['sec-websocket-key'] === 'string' &&
    req.headers['sec-websocket-version'] === '13'
  );
}

/** A request that asks for an upgrade the gateway does not make: a coded GraphQL error, like every refusal. */
function refuseUpgrade(socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const requestId = randomUUID();
  const body = JSON.stringify(
    errorBody(
      'INVALID_ARGUMENT',
      'The only upgrade this server makes is a WebSocket handshake (GET /graphql, subprotocol graphql-transport-ws); send other requests without Upgrade.',
      {},
      requestId,
    ),
  );
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/graphql-response+json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const tracer = tracerFor('gateway');

/**
 * Runs one `subscribe` message through the request path's stages, in a
 * SERVER span of its own (continuing the upgrade request's `traceparent`):
 * admission to the start of the subscription. Returns its stream and document.
 */
async function start(
  ctx: WsContext<Record<string, unknown> | undefined, Extra>,
  payload: SubscribePayload,
  token: string | null | undefined,
  requestId: string,
  options: WebSocketOptions,
) {
  const upgrade = ctx.extra.request;
  const parent = extractTraceContext(upgrade.headers);
  const span = startRequestSpan(tracer, 'graphql-ws subscribe', SpanKind.SERVER, parent);
  const traceContext = trace.setSpan(parent, span);
  const request: GatewayRequest = {
    http: { req: upgrade, url: new URL(upgrade.url ?? '/graphql', 'http://gateway') },
    started: performance.now(),
    requestId,
    traceId: traceIdOf(span),
    traceContext,
    span,
    address: upgrade.socket.remoteAddress ?? 'unknown',
    token,
  };
  const intake: StageHandler = async (req, next) => {
    req.params = {
      method: 'POST',
      query: payload.query,
      ...(payload.operationName ? { operationName: payload.operationName } : {}),
      variables: payload.variables ?? {},
      extensions: payload.extensions ?? {},
    };
    req.mediaType = MEDIA_TYPES.graphqlResponse;
    req.streaming = 'websocket';
    return next();
  };
  const subscriptionsOnly: StageHandler = async () => {
    throw new Refusal(
      422,
      'INVALID_ARGUMENT',
      'Over WebSocket this graph runs subscriptions; send queries and mutations over HTTP.',
    );
  };
  const handlers = options.stages.flatMap((stage): StageHandler[] => {
    if (stage.name === 'landingPage') return [];
    if (stage.name === 'intake') return [intake];
    if (stage.name === 'deadline') return [subscriptionsOnly];
    return [stage.handle];
  });
  try {
    const answer = await otelContext.with(traceContext, () => runStages(handlers, request));
    if (answer.kind !== 'stream') throw internalRefusal();
    setSpanOutcome(span, 'OK');
    return { stream: answer.stream, document: need(request.document, 'document') };
  } catch (error) {
    setSpanOutcome(span, error instanceof Refusal ? error.code : 'INTERNAL');
    throw error;
  } finally {
    span.end();
  }
}

function isStarted(value: unknown): value is Started {
  return typeof value === 'object' && value !== null && 'subscription' in value;
}

/**
 * The subscription as graphql-ws iterates it: each message a result (its
 * errors as GraphQLErrors, which graphql-ws formats back as they were). Its
 * `return()` (client `complete`, socket closed) stops the subscription at
 * once, even while it waits for an event.
 */
function resultsOf(subscription: Subscription): AsyncIterableIterator<ExecutionResult> {
  const messages = subscription[Symbol.asyncIterator]();
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      const next = await messages.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: resultOf(next.value) };
    },
    return: async () => {
      subscription.cancel();
      await messages.return(undefined);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function resultOf({ payload }: SubscriptionMessage): ExecutionResult {
  return {
    ...(payload.data !== undefined ? { data: payload.data } : {}),
    ...(payload.errors
      ? {
          errors: payload.errors.map(
            (error) =>
              new GraphQLError(error.message, {
                ...(error.path ? { path: error.path } : {}),
                extensions: error.extensions,
              }),
          ),
        }
      : {}),
    ...(payload.extensions ? { extensions: payload.extensions } : {}),
  };
}
