import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { RequestHandler, Response } from 'express';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { extractTraceContext, traceIdOf } from '../tracing/context';
import { startRequestSpan } from '../tracing/provider';
import { setSpanError, setSpanOutcome, TRACE_ATTRIBUTES, tracerFor } from '../tracing/spans';

const GRAPHQL_PATH = '/graphql';

/** What the tracing middleware keeps about a request, in `res.locals`. */
interface TracedLocals {
  /** The context with the request's server span, to activate wherever the request's work resumes. */
  traceContext?: Context;
  /** The request's trace id (the caller's, or a fresh one); undefined when tracing is disabled. */
  traceId?: string;
}

/**
 * One SERVER span per HTTP request, continuing the caller's trace when its
 * `traceparent` is well-formed (a malformed one starts a new trace). The span
 * ends when the response is done (or the connection drops); its trace id is
 * kept in `res.locals.traceId` for log lines and error bodies, and its
 * context in `res.locals.traceContext`, for the calls the request makes. When
 * something records, that context is also made active, here and again by
 * {@link activateRequestTrace} after body parsing (stream events do not carry
 * the async context along), so that spans started inside nest under it.
 * When nothing records, the span only carries ids (see startRequestSpan).
 */
export function traceHttpRequests(service: string): RequestHandler {
  const tracer = tracerFor(service);
  return (req, res, next) => {
    const parent = extractTraceContext(req.headers);
    const graphql = req.path === GRAPHQL_PATH;
    const span = startRequestSpan(
      tracer,
      graphql ? `${req.method} ${GRAPHQL_PATH}` : req.method,
      SpanKind.SERVER,
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    const locals = res.locals as TracedLocals;
    locals.traceContext = ctx;
    locals.traceId = traceIdOf(span);
    if (span.isRecording()) {
      span.setAttribute(TRACE_ATTRIBUTES.service, service);
      span.setAttribute(ATTR_HTTP_REQUEST_METHOD, req.method);
      span.setAttribute(ATTR_URL_PATH, req.path);
      if (graphql) span.setAttribute(ATTR_HTTP_ROUTE, GRAPHQL_PATH);
      // The route is known once the response is: Express sets req.route when one matched.
      res.once('close', () => endServerSpan(span, res, graphql ? undefined : routeOf(req)));
    }
    context.with(ctx, next);
  };
}

function endServerSpan(span: Span, res: Response, route: string | undefined): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
  // The signed request id, at a subgraph (it replaces the one assigned on arrival).
  if (typeof res.locals.requestId === 'string') span.setAttribute(TRACE_ATTRIBUTES.requestId, res.locals.requestId);
  if (route) {
    span.setAttribute(ATTR_HTTP_ROUTE, route);
    span.updateName(`${res.req.method} ${route}`);
  }
  if (!res.writableFinished) setSpanOutcome(span, 'CANCELLED');
  else if (res.statusCode >= 500) setSpanOutcome(span, res.statusCode === 503 ? 'UNAVAILABLE' : 'INTERNAL');
  span.end();
}

/** The Express route that matched (`/internal/token-status`), if any: a span name must not carry raw paths. */
function routeOf(req: { route?: { path?: unknown } }): string | undefined {
  const path = req.route?.path;
  return typeof path === 'string' ? path : undefined;
}

/** Makes the request's span active again for the middleware after it (see traceHttpRequests). */
export const activateRequestTrace: RequestHandler = (_req, res, next) => {
  const ctx = (res.locals as TracedLocals).traceContext;
  if (ctx) context.with(ctx, next);
  else next();
};

/** Runs `work` with the request's span active (a handler's whole body). */
export function inRequestTrace<T>(res: Response, work: () => T): T {
  const ctx = (res.locals as TracedLocals).traceContext;
  return ctx ? context.with(ctx, work) : work();
}

/** The request's trace id, once traceHttpRequests has run. */
export function requestTraceId(res: Response): string | undefined {
  return (res.locals as TracedLocals).traceId;
}

/** The context holding the request's server span (the parent of the calls it makes), once traceHttpRequests has run. */
export function requestTraceContext(res: Response): Context | undefined {
  return (res.locals as TracedLocals).traceContext;
}

/**
 * Puts what only GraphQL knows on the request's server span: the operation's
 * name and type, and the outcome (`OK` or the first error's code, as in the
 * request's log line). Costs nothing when the span is not recording.
 */
export function tracingPlugin<Ctx extends BaseContext>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      // Apollo runs each request inside the request's context (see traceHttpRequests).
      const span = trace.getSpan(context.active());
      if (!span?.isRecording()) return;
      return {
        async didResolveOperation({ operationName, operation }) {
          if (operationName) span.setAttribute(TRACE_ATTRIBUTES.operationName, operationName);
          if (operation) span.setAttribute(TRACE_ATTRIBUTES.operationType, operation.operation);
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          setSpanOutcome(span, errors?.length ? (typeof code === 'string' ? code : 'INTERNAL') : 'OK');
        },
      };
    },
  };
}

const tracedSchemas = new WeakSet<GraphQLSchema>();

/**
 * One span per root field (each field of Query and Mutation, `_entities`
 * included: that is where `__resolveReference` runs), active while it
 * resolves, so the Prisma queries and peer calls it makes are its children.
 * Not per nested field: those are many and cheap, and batched by DataLoaders
 * whose queries show up under the root field that first asked. Only under a
 * recording request span; otherwise the resolver runs as it is. A schema is
 * wrapped once, however many servers serve it.
 */
export function traceRootFields(schema: GraphQLSchema, service: string): void {
  if (tracedSchemas.has(schema)) return;
  tracedSchemas.add(schema);
  const tracer = tracerFor(service);
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      const name = `${type.name}.${field.name}`;
      field.resolve = (source, args: Record<string, unknown>, ctx, info) => {
        if (!trace.getSpan(context.active())?.isRecording()) return resolve(source, args, ctx, info);
        return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL }, (span) => {
          span.setAttribute(TRACE_ATTRIBUTES.service, service);
          span.setAttribute(TRACE_ATTRIBUTES.fieldName, field.name);
          if (field.name === '_entities' && Array.isArray(args.representations))
            describeEntities(span, args.representations);
          let result: unknown;
          try {
            result = resolve(source, args, ctx, info);
          } catch (error) {
            setSpanError(span, error);
            span.end();
            throw error;
          }
          if (!isPromiseLike(result)) {
            span.end();
            return result;
          }
          return Promise.resolve(result).then(
            (value) => {
              span.end();
              return value;
            },
            (error: unknown) => {
              setSpanError(span, error);
              span.end();
              throw error;
            },
          );
        });
      };
    }
  }
}

function describeEntities(span: Span, representations: unknown[]): void {
  const types = new Set<string>();
  for (const representation of representations) {
    const typename = (representation as { __typename?: unknown } | null)?.__typename;
    if (typeof typename === 'string') types.add(typename);
  }
  span.setAttribute(TRACE_ATTRIBUTES.entityCount, representations.length);
  span.setAttribute(TRACE_ATTRIBUTES.entityTypes, [...types].sort());
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
