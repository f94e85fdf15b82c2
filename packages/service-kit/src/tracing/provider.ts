import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span as ApiSpan,
  type SpanKind,
  trace,
  TraceFlags,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  InMemorySpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  RandomIdGenerator,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  SimpleSpanProcessor,
  type Span,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { buildVersion } from '../server/buildInfo';
import { type SamplerName, type TracingSettings, tracingSettingsFromEnv } from './settings';

export interface StartTracingOptions {
  /** The service this process runs (`gateway`, `car`, ...): the exported resource's `service.name`. */
  serviceName: string;
  /**
   * Record every span and hand it to this exporter as soon as it ends (tests,
   * development), whatever the environment says about OTLP.
   */
  exporter?: SpanExporter;
  /** Where the OTEL_* variables are read (default process.env); only the first call reads them. */
  env?: NodeJS.ProcessEnv;
}

export interface TracingStatus {
  /** Trace ids exist: requests get one, logs and errors carry it (false only with OTEL_SDK_DISABLED). */
  enabled: boolean;
  /** Spans are recorded and exported (an OTLP endpoint or an exporter is configured). */
  recording: boolean;
  /** `service.name` of the process's resource (the first service started); null before. */
  serviceName: string | null;
}

/**
 * A database query outside any span: a background loop's poll (an outbox
 * relay, an event consumer, a data watch), not part of a request. Recording
 * each would start a one-span trace every second per loop, drowning the
 * requests' traces; those loops report through their metrics (lag,
 * positions) instead. A query made while a request is traced stays in its trace.
 */
function isOrphanQuery(parent: Context, spanName: string): boolean {
  return spanName.startsWith('prisma:') && trace.getSpanContext(parent) === undefined;
}

/**
 * A sampler whose decision can be switched after the provider is registered:
 * `@opentelemetry/api` hands instrumentations (Apollo Gateway's among them)
 * tracers that stay bound to the first provider registered, so the process's
 * one provider is kept and only what it records changes.
 */
class SwitchableSampler implements Sampler {
  delegate: Sampler = new AlwaysOffSampler();

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (isOrphanQuery(context, spanName)) return { decision: SamplingDecision.NOT_RECORD };
    return this.delegate.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return this.delegate.toString();
  }
}

/** Hands recorded spans to the current processor, if any. */
class SwitchableProcessor implements SpanProcessor {
  delegate: SpanProcessor | null = null;

  onStart(span: Span, parentContext: Context): void {
    this.delegate?.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.delegate?.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.delegate?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    const current = this.delegate;
    this.delegate = null;
    return current?.shutdown() ?? Promise.resolve();
  }
}

/** The SDK, registered the first time something has to record, and kept for the life of the process. */
interface Recorder {
  provider: NodeTracerProvider;
  sampler: SwitchableSampler;
  processor: SwitchableProcessor;
  /** The instrumentations registered with recordWhileTracing, created the first time something records. */
  instrumentations: Map<string, RecordedInstrumentation>;
}

/**
 * A library's instrumentation that records only while the process does (a subgraph's
 * Prisma spans). The library that needs it registers it, so this package, which the
 * gateway ships, never loads a database client's instrumentation.
 */
export interface RecordedInstrumentation {
  setTracerProvider(provider: TracerProvider): void;
  enable(): void;
  disable(): void;
}

/** Instrumentations to switch on with recording, by name, created lazily. */
const instrumentationFactories = new Map<string, () => RecordedInstrumentation>();

/** Registers an instrumentation that records whenever the process does (again, a no-op). */
export function recordWhileTracing(name: string, create: () => RecordedInstrumentation): void {
  if (instrumentationFactories.has(name)) return;
  instrumentationFactories.set(name, create);
  if (recorder?.processor.delegate) enableInstrumentations(recorder);
}

/** The process's tracing: settings read by the first startTracing; null before. */
let settings: TracingSettings | null = null;
let serviceName: string | null = null;
let recorder: Recorder | null = null;

/**
 * Sets up tracing for this process, from the OTEL_* variables (settings.ts):
 *
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` set: a tracer provider is registered with
 *   `@opentelemetry/api`, with an AsyncLocalStorage context manager (the
 *   active span follows each request through its awaits, so Apollo Gateway's
 *   spans, resolver and Prisma spans nest, and every log line can name its
 *   trace) and W3C Trace Context propagation. Spans are sampled with
 *   `OTEL_TRACES_SAMPLER` (default: follow the caller's decision, sample new
 *   traces) and exported over OTLP/HTTP in batches.
 * - unset (the default): no provider, no context manager, nothing recorded.
 *   Requests still get a trace id (the caller's `traceparent`, or a new one,
 *   see {@link startRequestSpan}) that travels to the subgraphs and into
 *   their log lines and error extensions, passed along explicitly. This
 *   costs two random ids per request: no async hooks, no span objects.
 * - `OTEL_SDK_DISABLED=true`: nothing at all, not even trace ids.
 *
 * Safe to call many times (the gateway and every subgraph call it, and tests
 * run them all in one process): the first call reads the settings and names
 * the resource's service; spans name their service with a `service.name`
 * attribute and their tracer (`car-check/<service>`). A call with `exporter`
 * records every span into it from then on, whatever the settings say.
 */
export function startTracing(options: StartTracingOptions): TracingStatus {
  if (!settings) {
    settings = tracingSettingsFromEnv(options.env);
    serviceName = settings.serviceName ?? options.serviceName;
    if (settings.tracesUrl && !settings.disabled) {
      record(
        recorderFor(serviceName),
        new BatchSpanProcessor(otlpExporter(settings.tracesUrl)),
        samplerFor(settings.sampler, settings.samplerRatio),
      );
    }
  }
  if (options.exporter) {
    const active = recorderFor(serviceName ?? options.serviceName);
    const previous = active.processor.delegate;
    record(active, new SimpleSpanProcessor(options.exporter), new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    void previous?.shutdown().catch(() => undefined);
  }
  return status();
}

/** The process's one provider, registered on first use. */
function recorderFor(name: string): Recorder {
  if (recorder) return recorder;
  const sampler = new SwitchableSampler();
  const processor = new SwitchableProcessor();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: name, [ATTR_SERVICE_VERSION]: safeBuildVersion() }),
    sampler,
    spanProcessors: [processor],
    // Bounds what one span may hold (Prisma's SQL text, exception messages).
    spanLimits: { attributeValueLengthLimit: 4096, attributeCountLimit: 64, eventCountLimit: 32, linkCountLimit: 32 },
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  recorder = { provider, sampler, processor, instrumentations: new Map() };
  return recorder;
}

const ids = new RandomIdGenerator();

/**
 * A request's server span: a real one (recorded or not, as the sampler
 * decides) once a provider is registered; otherwise a non-recording span
 * that only carries ids: the caller's trace id, or a new one, and a span id
 * of its own, not sampled (this service records nothing). Without trace ids
 * (OTEL_SDK_DISABLED) an invalid one, which propagates nothing.
 */
export function startRequestSpan(tracer: Tracer, name: string, kind: SpanKind, parent: Context): ApiSpan {
  if (recorder) return tracer.startSpan(name, { kind }, parent);
  if (settings?.disabled) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const remote = trace.getSpanContext(parent);
  return trace.wrapSpanContext({
    traceId: remote?.traceId ?? ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: TraceFlags.NONE,
    ...(remote?.traceState ? { traceState: remote.traceState } : {}),
  });
}

/** Whether this process has trace ids and records spans. */
export function tracingStatus(): TracingStatus {
  return status();
}

/**
 * Tests: records every span from now on into a fresh in-memory exporter
 * (synchronously, as each span ends) and returns it. Call before starting
 * the services, or at any time after.
 */
export function useInMemoryTracing(serviceName = 'test'): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  startTracing({ serviceName, exporter });
  return exporter;
}

/**
 * Stops recording: spans are handed to nobody any more and the process is
 * back to trace ids only (tests, after useInMemoryTracing). What was recorded
 * is flushed first.
 */
export async function stopTracing(): Promise<void> {
  if (!recorder) return;
  const processor = recorder.processor.delegate;
  recorder.sampler.delegate = new AlwaysOffSampler();
  recorder.processor.delegate = null;
  for (const instrumentation of recorder.instrumentations.values()) instrumentation.disable();
  await processor?.shutdown().catch(() => undefined);
}

/** Sends the spans still buffered (before a service stops; the process may go on). */
export async function flushTracing(): Promise<void> {
  await recorder?.provider.forceFlush().catch(() => undefined);
}

/** Flushes and shuts the exporter down, for good: the process is exiting. */
export async function shutdownTracing(): Promise<void> {
  await recorder?.provider.shutdown().catch(() => undefined);
}

function record(tracing: Recorder, processor: SpanProcessor, sampler: Sampler): void {
  tracing.processor.delegate = processor;
  tracing.sampler.delegate = sampler;
  enableInstrumentations(tracing);
}

function enableInstrumentations(tracing: Recorder): void {
  for (const [name, create] of instrumentationFactories) {
    let instrumentation = tracing.instrumentations.get(name);
    if (!instrumentation) {
      instrumentation = create();
      tracing.instrumentations.set(name, instrumentation);
    }
    instrumentation.setTracerProvider(tracing.provider);
    instrumentation.enable();
  }
}

function status(): TracingStatus {
  return {
    enabled: recorder !== null || !settings?.disabled,
    recording: recorder?.processor.delegate != null,
    serviceName,
  };
}

/** The sampler an `OTEL_TRACES_SAMPLER` value names. */
export function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function otlpExporter(url: string): SpanExporter {
  // Loaded lazily, like the instrumentations: only a process that exports needs it. Headers
  // (OTEL_EXPORTER_OTLP_HEADERS), timeout and compression come from the SDK's own variables.
  const { OTLPTraceExporter } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter({ url });
}

function safeBuildVersion(): string {
  try {
    return buildVersion();
  } catch {
    return 'unknown';
  }
}
