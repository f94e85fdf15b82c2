import { SpanKind, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { parentForCall, setSpanOutcome, TRACE_ATTRIBUTES, traceHeaders, tracerFor } from '@car-check/service-kit';
import { type ClientLayer, callOutcome } from '../fetch';

const tracer = tracerFor('gateway');

/**
 * One CLIENT span per fetch a request makes (a child of Apollo Gateway's
 * `gateway.fetch`), covering a retry if there is one; its context is the
 * `traceparent` the subgraph continues. Attributes only when it records.
 * Health checks and schema loads (no request) get neither span nor traceparent.
 */
export const span: ClientLayer = {
  name: 'span',
  wrap: (next, subgraph) => async (fetch) => {
    const { context } = fetch;
    if (!context) return next(fetch);
    const { url } = subgraph;
    // Apollo Gateway's gateway.fetch when spans are recorded (and so active); else the request's own span.
    const parent = parentForCall(context.traceContext);
    const fetchSpan = tracer.startSpan(`subgraph ${subgraph.name}`, { kind: SpanKind.CLIENT }, parent);
    if (fetchSpan.isRecording()) {
      fetchSpan.setAttribute(TRACE_ATTRIBUTES.service, 'gateway');
      fetchSpan.setAttribute(TRACE_ATTRIBUTES.subgraph, subgraph.name);
      fetchSpan.setAttribute(ATTR_HTTP_REQUEST_METHOD, 'POST');
      fetchSpan.setAttribute(ATTR_SERVER_ADDRESS, url.hostname);
      fetchSpan.setAttribute(ATTR_SERVER_PORT, Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
      fetchSpan.setAttribute(ATTR_URL_FULL, url.href);
      fetchSpan.setAttribute(TRACE_ATTRIBUTES.operationType, fetch.mutation ? 'mutation' : 'query');
      if (fetch.operationName) fetchSpan.setAttribute(TRACE_ATTRIBUTES.operationName, fetch.operationName);
      if (fetch.merged) fetchSpan.setAttribute(TRACE_ATTRIBUTES.mergedFetches, fetch.merged);
    }
    fetch.span = fetchSpan;
    // The trace travels unsigned (traceparent): it names a trace, it grants nothing.
    Object.assign(fetch.headers, traceHeaders(trace.setSpan(parent, fetchSpan)));
    try {
      const sent = await next(fetch);
      if (sent.kind === 'answered' && fetchSpan.isRecording())
        fetchSpan.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, sent.status);
      setSpanOutcome(fetchSpan, callOutcome(sent));
      return sent;
    } finally {
      fetchSpan.end();
    }
  },
};
