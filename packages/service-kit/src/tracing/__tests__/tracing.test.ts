import { Writable } from 'node:stream';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../logging/logger';
import { ConfigError } from '../../config/env';
import { currentTraceId, extractTraceContext, traceHeaders, traceLogFields } from '../context';
import {
  samplerFor,
  startRequestSpan,
  startTracing,
  stopTracing,
  tracingStatus,
  useInMemoryTracing,
} from '../provider';
import { tracingSettingsFromEnv } from '../settings';
import { tracerFor } from '../spans';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('traceparent from a caller', () => {
  const remote = (headers: Record<string, string | string[] | undefined>) =>
    trace.getSpanContext(extractTraceContext(headers));

  it('continues a well-formed traceparent, with its tracestate and sampling decision', () => {
    expect(remote({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc,other=x' })).toMatchObject({
      traceId: TRACE,
      spanId: PARENT,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(
      remote({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc,other=x' })?.traceState?.get('vendor'),
    ).toBe('abc');
    expect(remote({ traceparent: `00-${TRACE}-${PARENT}-00` })?.traceFlags).toBe(TraceFlags.NONE);
    // A later version may add fields; only version 00's layout is strict.
    expect(remote({ traceparent: `01-${TRACE}-${PARENT}-01-more` })?.traceId).toBe(TRACE);
  });

  it.each([
    ['no header', undefined],
    ['empty', ''],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['extra fields on version 00', `00-${TRACE}-${PARENT}-01-extra`],
    ['a short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['two values folded into one header', `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`],
    ['garbage', 'hello'],
    ['a very long value', `00-${TRACE}-${PARENT}-01${'x'.repeat(10_000)}`],
  ])('ignores a malformed traceparent (%s): a new trace starts', (_what, header) => {
    expect(remote({ traceparent: header })).toBeUndefined();
  });

  it('keeps only the sampled bit of the flags', () => {
    expect(remote({ traceparent: `00-${TRACE}-${PARENT}-ff` })?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(remote({ traceparent: `00-${TRACE}-${PARENT}-02` })?.traceFlags).toBe(TraceFlags.NONE);
  });

  it('takes the first of several traceparent headers, and drops an oversized tracestate', () => {
    expect(remote({ traceparent: [`00-${TRACE}-${PARENT}-01`, `00-${'1'.repeat(32)}-${PARENT}-01`] })?.traceId).toBe(
      TRACE,
    );
    const huge = remote({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: `a=${'b'.repeat(5000)}` });
    expect(huge?.traceId).toBe(TRACE);
    expect(huge?.traceState).toBeUndefined();
  });

  it('writes traceparent and tracestate for another service, and nothing without a trace', () => {
    const ctx = extractTraceContext({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' });
    expect(traceHeaders(ctx)).toEqual({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' });
    expect(traceHeaders(ROOT_CONTEXT)).toEqual({});
  });
});

describe('tracing settings', () => {
  it('records nothing unless an OTLP endpoint is set', () => {
    expect(tracingSettingsFromEnv({})).toEqual({
      disabled: false,
      tracesUrl: null,
      serviceName: null,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
  });

  it('sends spans to <endpoint>/v1/traces, or to the traces endpoint when it is given', () => {
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracesUrl).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/' }).tracesUrl).toBe(
      'http://collector:4318/base/v1/traces',
    );
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }).tracesUrl,
    ).toBe('https://traces.example/otlp');
  });

  it('reads the sampler, its ratio, the service name and the off switch', () => {
    expect(
      tracingSettingsFromEnv({
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_SERVICE_NAME: 'car-eu',
        OTEL_SDK_DISABLED: 'true',
      }),
    ).toEqual({
      disabled: true,
      tracesUrl: null,
      serviceName: 'car-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector/v1/traces'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_SDK_DISABLED', 'maybe'],
  ])('refuses to start with a malformed %s', (name, value) => {
    expect(() => tracingSettingsFromEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => tracingSettingsFromEnv({ [name]: value })).toThrow(name);
  });

  const SAMPLED = { traceId: TRACE, spanId: PARENT, traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const UNSAMPLED = { ...SAMPLED, traceFlags: TraceFlags.NONE };
  it.each([
    ['always_on', 'no parent', undefined, 'records', SamplingDecision.RECORD_AND_SAMPLED],
    ['always_off', 'no parent', undefined, 'does not record', SamplingDecision.NOT_RECORD],
    ['parentbased_always_on', 'a sampled parent', SAMPLED, 'records', SamplingDecision.RECORD_AND_SAMPLED],
    ['parentbased_always_on', 'an unsampled parent', UNSAMPLED, 'does not record', SamplingDecision.NOT_RECORD],
    ['parentbased_always_off', 'no parent', undefined, 'does not record', SamplingDecision.NOT_RECORD],
    ['parentbased_always_off', 'a sampled parent', SAMPLED, 'records', SamplingDecision.RECORD_AND_SAMPLED],
    ['traceidratio', 'an unsampled parent', UNSAMPLED, 'records', SamplingDecision.RECORD_AND_SAMPLED],
  ] as const)('%s, with %s, %s', (name, _parent, parent, _decides, decision) => {
    const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
    expect(samplerFor(name, 1).shouldSample(ctx, TRACE, 'span', SpanKind.SERVER, {}, []).decision).toBe(decision);
  });
});

describe('a process that records nothing (no OTLP endpoint), then records for a test', () => {
  // Tracing is per process: this file's process starts it once, like a service.
  beforeAll(() => startTracing({ serviceName: 'unit', env: {} }));
  const tracer = () => tracerFor('unit');
  const continuing = (flags = '01') => extractTraceContext({ traceparent: `00-${TRACE}-${PARENT}-${flags}` });

  it('registers nothing, yet gives every request a trace id: the caller’s, or a new one', () => {
    expect(tracingStatus()).toEqual({ enabled: true, recording: false, serviceName: 'unit' });
    const fresh = startRequestSpan(tracer(), 'POST /graphql', SpanKind.SERVER, ROOT_CONTEXT);
    expect(fresh.isRecording()).toBe(false);
    expect(fresh.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.spanContext().traceId).not.toBe('0'.repeat(32));
    expect(startRequestSpan(tracer(), 'POST /graphql', SpanKind.SERVER, ROOT_CONTEXT).spanContext().traceId).not.toBe(
      fresh.spanContext().traceId,
    );

    const continued = startRequestSpan(tracer(), 'POST /graphql', SpanKind.SERVER, continuing());
    expect(continued.isRecording()).toBe(false);
    expect(continued.spanContext().traceId).toBe(TRACE);
    expect(continued.spanContext().spanId).not.toBe(PARENT);
    // What goes on to a subgraph: the same trace, this span as the parent, not sampled (nothing records it here),
    // also through a fetch span started under it (a no-op tracer passes its parent on).
    const expected = { traceparent: `00-${TRACE}-${continued.spanContext().spanId}-00` };
    const request = trace.setSpan(ROOT_CONTEXT, continued);
    expect(traceHeaders(request)).toEqual(expected);
    expect(traceHeaders(trace.setSpan(request, tracer().startSpan('subgraph car', {}, request)))).toEqual(expected);
    // No context manager: nothing is active, so nothing costs anything per await, and logs name the trace explicitly.
    context.with(request, () => expect(currentTraceId()).toBeUndefined());
  });

  it('records into an in-memory exporter once a test asks, keeping the caller’s sampling decision', async () => {
    const exporter = useInMemoryTracing();
    expect(tracingStatus()).toEqual({ enabled: true, recording: true, serviceName: 'unit' });
    const span = startRequestSpan(tracer(), 'recorded', SpanKind.SERVER, continuing());
    expect(span.isRecording()).toBe(true);
    span.end();
    startRequestSpan(tracer(), 'not sampled', SpanKind.SERVER, continuing('00')).end();
    tracer().startSpan('a new trace').end();
    expect(
      exporter.getFinishedSpans().map((s) => [s.name, s.spanContext().traceId === TRACE, s.parentSpanContext?.spanId]),
    ).toEqual([
      ['recorded', true, PARENT],
      ['a new trace', false, undefined],
    ]);
  });

  it('while recording, leaves out a database query outside any span (a background poll), and keeps one inside a request', () => {
    const exporter = useInMemoryTracing();
    tracer().startSpan('prisma:client:operation', {}, ROOT_CONTEXT).end();
    const request = startRequestSpan(tracer(), 'request', SpanKind.SERVER, continuing());
    const inRequest = trace.setSpan(ROOT_CONTEXT, request);
    const operation = tracer().startSpan('prisma:client:operation', {}, inRequest);
    tracer().startSpan('prisma:client:db_query', {}, trace.setSpan(inRequest, operation)).end();
    operation.end();
    request.end();
    // Other work outside a request still starts a trace of its own.
    tracer().startSpan('a job', {}, ROOT_CONTEXT).end();
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.spanContext().traceId === TRACE])).toEqual([
      ['prisma:client:db_query', true],
      ['prisma:client:operation', true],
      ['request', true],
      ['a job', false],
    ]);
  });

  it('while recording, puts the active trace on every log line written inside it, and none outside', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Record<string, unknown>),
        );
        done();
      },
    });
    const log = createLogger({ service: 'unit', level: 'info', pretty: false, destination });
    const span = startRequestSpan(tracer(), 'request', SpanKind.SERVER, continuing());
    log.info('before');
    await context.with(trace.setSpan(context.active(), span), async () => {
      log.info('inside');
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.child({ component: 'child' }).info({ requestId: 'r1' }, 'after an await, from a child logger');
      expect(currentTraceId()).toBe(TRACE);
    });
    log.info('after');
    expect(lines.map((line) => [line.msg, line.traceId, line.spanId])).toEqual([
      ['before', undefined, undefined],
      ['inside', TRACE, span.spanContext().spanId],
      ['after an await, from a child logger', TRACE, span.spanContext().spanId],
      ['after', undefined, undefined],
    ]);
    expect(traceLogFields()).toEqual({});
  });

  it('stops recording again, trace ids still flowing', async () => {
    await stopTracing();
    expect(tracingStatus()).toEqual({ enabled: true, recording: false, serviceName: 'unit' });
    const span = startRequestSpan(tracer(), 'after', SpanKind.SERVER, continuing());
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe(TRACE);
  });
});
