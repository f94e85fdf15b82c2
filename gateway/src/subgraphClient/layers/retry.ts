import type { ClientLayer } from '../fetch';

/**
 * A dropped connection (a subgraph restarting, a stale keep-alive socket) is
 * retried once, at once, while the deadline allows; only for queries: a
 * mutation may have been applied. Any other outcome is the answer.
 *
 * One immediate second attempt is not a schedule, so no retry library runs
 * here: the first attempt goes out directly, and nothing wraps the calls that
 * succeed (nearly all of them). Waits with a schedule (the event relays and
 * consumers, the scripts' health checks) use exponential-backoff.
 */
export const retry: ClientLayer = {
  name: 'retry',
  wrap: (next, subgraph) => async (fetch) => {
    const sent = await next(fetch);
    if (sent.kind !== 'unreachable' || fetch.mutation || Date.now() >= fetch.deadlineAt) return sent;
    const { context } = fetch;
    subgraph.log.info(
      { subgraph: subgraph.name, requestId: context?.requestId, traceId: context?.traceId },
      'retrying a query after a connection failure',
    );
    fetch.span?.addEvent('retry after a connection failure');
    return next(fetch);
  },
};
