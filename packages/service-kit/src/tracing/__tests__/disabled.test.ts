import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { extractTraceContext, traceHeaders, traceIdOf } from '../context';
import { startRequestSpan, startTracing, tracingStatus } from '../provider';
import { tracerFor } from '../spans';

describe('a process with OTEL_SDK_DISABLED=true', () => {
  it('has no trace ids at all: nothing to log, stamp or pass on', () => {
    expect(
      startTracing({
        serviceName: 'gateway',
        env: { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' },
      }),
    ).toEqual({
      enabled: false,
      recording: false,
      serviceName: 'gateway',
    });
    expect(tracingStatus().enabled).toBe(false);
    const parent = extractTraceContext({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    for (const from of [ROOT_CONTEXT, parent]) {
      const span = startRequestSpan(tracerFor('gateway'), 'POST /graphql', SpanKind.SERVER, from);
      expect(traceIdOf(span)).toBeUndefined();
      expect(traceHeaders(trace.setSpan(ROOT_CONTEXT, span))).toEqual({});
    }
  });
});
