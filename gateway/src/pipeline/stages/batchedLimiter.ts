import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** What the batcher needs of a limiter: `consume(key, points)`, resolving or rejecting with a RateLimiterRes. */
export type PointsLimiter = Pick<RateLimiterAbstract, 'consume'>;

interface Waiting {
  resolve: (res: RateLimiterRes) => void;
  reject: (reason: unknown) => void;
}

/**
 * At most one call to a remote count in flight per client, with each request's answer
 * exactly what it would have been alone: the requests of a turn of the event loop go in
 * one call, and those that arrive while a client's call is in flight go together in the
 * next, sent as soon as it returns (self-clocking: the busier the worker, the larger the
 * batches; an idle worker's request is sent at the end of its turn, as before).
 *
 * A worker of a clustered gateway counts in the primary (one IPC round trip, JSON both
 * ways) and a gateway with Redis counts there (one network round trip). Under load most
 * requests of a turn are one client's (an app's keep-alive connections, a benchmark):
 * in the community benchmark the worker's IPC for the count was 8 % of its CPU and the
 * UTF-8 encoding of those messages its second-largest frame.
 *
 * Requests of one key in one turn take `n` points in one call. A count only grows, by
 * one per request whether it is admitted or not (rate-limiter-flexible's semantics), so
 * with the count `c` after the call, the i-th of the n (from 1) saw `c - n + i` alone: it
 * is admitted when that is at most `points`. A refusal carries the call's msBeforeNext.
 */
export function batchedLimiter(limiter: PointsLimiter, points: number): PointsLimiter {
  const pending = new Map<string, Waiting[]>();
  /** Clients with a call in flight: their next requests wait in `pending` for it to return. */
  const calling = new Set<string>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    for (const [key, waiting] of pending) {
      if (calling.has(key)) continue;
      pending.delete(key);
      void call(key, waiting);
    }
  };

  const call = async (key: string, waiting: Waiting[]) => {
    calling.add(key);
    const failure = await settle(key, waiting);
    calling.delete(key);
    const next = pending.get(key);
    if (!next) return;
    pending.delete(key);
    // A count that could not be reached (Redis stalled, the primary silent) fails those that waited
    // behind the call too, at once: each would have waited that long for its own call, not twice.
    if (failure) for (const each of next) each.reject(failure.error);
    else void call(key, next);
  };

  /** Answers each request of the call; the error when the count could not be reached. */
  const settle = async (key: string, waiting: Waiting[]): Promise<{ error: unknown } | undefined> => {
    const n = waiting.length;
    let res: RateLimiterRes;
    try {
      res = await limiter.consume(key, n);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        for (const each of waiting) each.reject(rejection);
        return { error: rejection };
      }
      res = rejection;
    }
    const before = res.consumedPoints - n;
    waiting.forEach((each, index) => {
      const consumed = before + index + 1;
      const answer = new RateLimiterRes(
        Math.max(0, points - consumed),
        res.msBeforeNext,
        consumed,
        res.isFirstInDuration && index === 0,
      );
      if (consumed <= points) each.resolve(answer);
      else each.reject(answer);
    });
    return undefined;
  };

  return {
    consume(key: string | number, requested = 1): Promise<RateLimiterRes> {
      // Admission takes one point a request; anything else goes straight through.
      if (requested !== 1) return limiter.consume(key, requested);
      return new Promise<RateLimiterRes>((resolve, reject) => {
        const name = String(key);
        const waiting = pending.get(name);
        if (waiting) waiting.push({ resolve, reject });
        else pending.set(name, [{ resolve, reject }]);
        if (!scheduled) {
          scheduled = true;
          // After the turn's I/O callbacks: every request read in this turn joins the call.
          setImmediate(flush);
        }
      });
    },
  };
}
