import { backOff } from 'exponential-backoff';
import type { ClientLayer, Sent } from '../fetch';

/** Thrown inside the retry loop only: the connection failed before any answer. */
class Unreachable extends Error {
  constructor(readonly sent: Sent) {
    super('subgraph unreachable');
  }
}

/**
 * A dropped connection (a subgraph restarting, a stale keep-alive socket) is
 * retried once, at once, while the deadline allows; only for queries: a
 * mutation may have been applied. Any other outcome is the answer.
 */
export const retry: ClientLayer = {
  name: 'retry',
  wrap: (next, subgraph) => async (fetch) => {
    if (fetch.mutation) return next(fetch);
    const attempt = async () => {
      const sent = await next(fetch);
      if (sent.kind === 'unreachable') throw new Unreachable(sent);
      return sent;
    };
    try {
      return await backOff(attempt, {
        numOfAttempts: 2,
        startingDelay: 0,
        retry: (error: unknown) => {
          if (!(error instanceof Unreachable) || Date.now() >= fetch.deadlineAt) return false;
          const { context } = fetch;
          subgraph.log.info(
            { subgraph: subgraph.name, requestId: context?.requestId, traceId: context?.traceId },
            'retrying a query after a connection failure',
          );
          fetch.span?.addEvent('retry after a connection failure');
          return true;
        },
      });
    } catch (error) {
      if (error instanceof Unreachable) return error.sent;
      throw error;
    }
  },
};
