import {
  context,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

// A tracestate is at most 512 characters once parsed; a much longer header is not worth parsing.
const MAX_TRACESTATE_HEADER = 4096;

/**
 * W3C Trace Context only (no baggage: nothing a client sends is passed on but
 * the trace it belongs to). Used directly rather than through the global
 * propagator, so propagation does not depend on what registered globally.
 */
const propagator = new W3CTraceContextPropagator();

type Headers = Record<string, string | string[] | undefined>;

/**
 * The trace a request continues: its `traceparent` (and `tracestate`) when
 * well-formed, as a remote parent in a context, else an empty context, so a
 * malformed header starts a new trace rather than failing the request.
 * Malformed means anything W3C Trace Context rejects: not lowercase hex, an
 * all-zero trace or parent id, version `ff`, extra fields on version 00,
 * several `traceparent` values folded into one header.
 */
export function extractTraceContext(headers: Headers, parent: Context = ROOT_CONTEXT): Context {
  if (headers[TRACEPARENT_HEADER] === undefined) return parent;
  const tracestate = headers[TRACESTATE_HEADER];
  const carrier: Headers =
    tracestate === undefined ||
    (typeof tracestate === 'string' ? tracestate : tracestate.join(',')).length <= MAX_TRACESTATE_HEADER
      ? headers
      : { [TRACEPARENT_HEADER]: headers[TRACEPARENT_HEADER] };
  const extracted = propagator.extract(parent, carrier, defaultTextMapGetter);
  const remote = trace.getSpanContext(extracted);
  if (!remote || !isSpanContextValid(remote)) return parent;
  // Only the sampled bit has a meaning today; other bits are not passed on.
  if ((remote.traceFlags & ~TraceFlags.SAMPLED) !== 0) {
    return trace.setSpanContext(parent, { ...remote, traceFlags: remote.traceFlags & TraceFlags.SAMPLED });
  }
  return extracted;
}

/** The `traceparent` (and `tracestate`) headers that continue `ctx`'s trace in another service; none without a trace. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(ctx, headers, defaultTextMapSetter);
  return headers;
}

/**
 * The parent of a call a request makes: the active span when there is one
 * (spans are recorded, and Apollo Gateway's `gateway.fetch` or the request's
 * span is active), else the request's own span, passed along explicitly
 * (nothing records, so no context manager follows the request's awaits).
 */
export function parentForCall(request: Context | undefined): Context {
  const active = context.active();
  return request === undefined || trace.getSpan(active) ? active : request;
}

/** The trace id of a span, or undefined when it has none (tracing disabled). */
export function traceIdOf(span: Span | undefined): string | undefined {
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The trace id of the active context: the request being served, if any. */
export function currentTraceId(): string | undefined {
  return traceIdOf(trace.getSpan(context.active()));
}

/**
 * pino's `mixin`: every log line written while a request's span is active
 * carries its trace and span ids. A fresh object every time: pino merges the
 * line's own fields into it.
 */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
