import type { SpanContext } from '@opentelemetry/api';
import { callerKey, TRACE_ATTRIBUTES } from '@car-check/service-kit';
import type { GatewayContext } from '../../context';
import type { ClientLayer, Sent } from '../fetch';

/** A fetch shared by the requests waiting for it; aborted when the last of them gives up. */
interface SharedCall {
  sent: Promise<Sent>;
  waiting: number;
  abort: AbortController;
  /** The span of the fetch actually sent (the first caller's), for the others' links. */
  leader: SpanContext | undefined;
}

/**
 * Outbound deduplication (DEDUPLICATE_QUERIES): a query fetch identical to one
 * in flight (same body, for a caller with the same identity and scopes) waits
 * for that one's answer instead of asking the subgraph again. The shared call
 * is not cancelled by any one caller; each caller stops waiting when its own
 * request is abandoned or its deadline passes.
 *
 * Tracing: the one fetch sent carries the first caller's `traceparent`, so
 * the subgraph's spans belong to the first caller's trace only. A caller that
 * waited for it has its own fetch span, marked `car_check.deduplicated` and
 * linked to the first caller's; that is the price of sending one fetch.
 */
export const deduplication: ClientLayer = {
  name: 'deduplication',
  wrap: (next, subgraph) => {
    if (!subgraph.deduplicate) return next;
    /** Query fetches in flight, by caller and body. */
    const inflight = new Map<string, SharedCall>();
    return (fetch) => {
      const { context } = fetch;
      // A stream is one subscriber's own (its cursor, its life): never shared.
      if (fetch.mutation || fetch.stream || !context) return next(fetch);
      const key = `${callerKey(context.caller)}\n${fetch.body}`;
      let call = inflight.get(key);
      if (!call) {
        const abort = new AbortController();
        const sent = next({ ...fetch, signal: abort.signal }).finally(() => inflight.delete(key));
        call = { sent, waiting: 0, abort, leader: fetch.span?.spanContext() };
        inflight.set(key, call);
      } else if (fetch.span?.isRecording()) {
        fetch.span.setAttribute(TRACE_ATTRIBUTES.deduplicated, true);
        if (call.leader) fetch.span.addLink({ context: call.leader });
      }
      return untilAbandoned(call, context);
    };
  },
};

/** A shared call's outcome, or this caller's own end: its client hung up, or its deadline passed. */
function untilAbandoned(call: SharedCall, context: GatewayContext): Promise<Sent> {
  if (context.signal.aborted) return Promise.resolve(abandoned(context));
  call.waiting += 1;
  return new Promise((resolve) => {
    const onAbort = () => {
      // Nobody else waits for it: the subgraph's work is wasted, stop it.
      if (--call.waiting === 0) call.abort.abort();
      resolve(abandoned(context));
    };
    context.signal.addEventListener('abort', onAbort, { once: true });
    void call.sent.then((sent) => {
      context.signal.removeEventListener('abort', onAbort);
      call.waiting -= 1;
      resolve(sent);
    });
  });
}

function abandoned(context: GatewayContext): Sent {
  return context.deadline <= Date.now() ? { kind: 'timed-out' } : { kind: 'cancelled' };
}
