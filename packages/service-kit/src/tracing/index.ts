/** Tracing: the W3C context every request carries, the provider that records spans, their settings and names. */
export {
  extractTraceContext,
  traceHeaders,
  parentForCall,
  traceIdOf,
  currentTraceId,
  traceLogFields,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './context';
export {
  recordWhileTracing,
  startTracing,
  startRequestSpan,
  tracingStatus,
  useInMemoryTracing,
  stopTracing,
  flushTracing,
  shutdownTracing,
  samplerFor,
  type StartTracingOptions,
  type TracingStatus,
  type RecordedInstrumentation,
} from './provider';
export { tracingSettingsFromEnv, tracesUrlOf, SAMPLERS, type SamplerName, type TracingSettings } from './settings';
export { tracerFor, setSpanOutcome, setSpanError, TRACE_ATTRIBUTES } from './spans';
