import { type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';

/** Names of the attributes this project puts on its spans (besides the semantic conventions'). */
export const TRACE_ATTRIBUTES = {
  /**
   * The service a span belongs to. Normally the resource says so; it is also on
   * each of our spans because tests run the gateway and every subgraph in one
   * process, under one provider.
   */
  service: 'service.name',
  requestId: 'car_check.request_id',
  /** `OK`, or the code of the first error (as in the request's log line). */
  outcome: 'car_check.outcome',
  subgraph: 'car_check.subgraph',
  /** A subgraph fetch that waited for an identical one in flight instead of being sent (outbound deduplication). */
  deduplicated: 'car_check.deduplicated',
  /** How many of the query plan's fetches one subgraph call carried, when it merged several. */
  mergedFetches: 'car_check.merged_fetches',
  operationName: 'graphql.operation.name',
  operationType: 'graphql.operation.type',
  fieldName: 'graphql.field.name',
  entityTypes: 'car_check.entity.types',
  entityCount: 'car_check.entity.count',
} as const;

/** Outcomes that are the service's fault, not the caller's: their spans are marked as errors. */
const SERVER_FAULTS: ReadonlySet<string> = new Set([
  'INTERNAL',
  'UNKNOWN',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'DATA_LOSS',
]);

const tracers = new Map<string, Tracer>();

/** The tracer of one service's own spans (`car-check/<service>`). */
export function tracerFor(service: string): Tracer {
  let tracer = tracers.get(service);
  if (!tracer) {
    tracer = trace.getTracer(`car-check/${service}`);
    tracers.set(service, tracer);
  }
  return tracer;
}

/** Records how a request or call ended on its span: the outcome, and an error status for a server fault. */
export function setSpanOutcome(span: Span, outcome: string): void {
  if (!span.isRecording()) return;
  span.setAttribute(TRACE_ATTRIBUTES.outcome, outcome);
  if (SERVER_FAULTS.has(outcome)) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
}

/**
 * Records a thrown error on a span: its code as the outcome, and an error
 * status when it is the service's fault (a catalog server fault, or anything
 * uncoded). Never its message or stack, which may name internals.
 */
export function setSpanError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  const name = error instanceof Error ? error.name : typeof error;
  span.setAttribute('exception.type', name);
  if (typeof code === 'string') return setSpanOutcome(span, code);
  span.setAttribute(TRACE_ATTRIBUTES.outcome, 'INTERNAL');
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
}
