import { backOff } from 'exponential-backoff';

export interface RetryUntilStoppedOptions {
  /** The wait after the first failure; it doubles after each further failure in a row. */
  firstDelayMs: number;
  /** The longest wait between two attempts. */
  maxDelayMs: number;
  /**
   * Ends the retries: at once in the middle of a wait (the result is then `null`), after the
   * attempt in hand otherwise (its result, or `null` when it failed).
   */
  signal: AbortSignal;
  /**
   * Waits `firstDelayMs` before the first attempt too (a reconnection right after a
   * working connection dropped counts as the first failure of a new outage).
   */
  delayFirstAttempt?: boolean;
  /** Called after each failed attempt (not once stopped), with the failures in a row so far. */
  onFailure?: (error: unknown, failures: number) => void;
  /** A failure that no retry can fix: it ends the retries and is thrown. */
  isFinal?: (error: unknown) => boolean;
}

/** Why the retries ended: the signal was aborted. */
class RetryStopped extends Error {
  override readonly name = 'RetryStopped';
}

/**
 * Calls `attempt` until it succeeds, waiting longer after each failure (exponential
 * backoff, no jitter, capped), for as long as it takes: until it succeeds, fails
 * finally, or `signal` is aborted. The schedule is exponential-backoff's; this adds
 * what a long-running loop needs: no attempt limit, and a stop that waits for the
 * attempt in hand (and keeps what it did: the caller acts on it or cleans up after it)
 * but not for the current delay to end (the library's timer then runs out without
 * another attempt).
 *
 * @returns the result of the attempt that succeeded, wrapped, or `null` when stopped first.
 */
export async function retryUntilStopped<T>(
  attempt: () => Promise<T>,
  options: RetryUntilStoppedOptions,
): Promise<{ value: T } | null> {
  const { signal } = options;
  if (signal.aborted) return null;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  /** The outcome of the last attempt: its result, or null when it failed. */
  let inHand: Promise<{ value: T } | null> = Promise.resolve(null);
  const retried = backOff(
    async () => {
      if (signal.aborted) throw new RetryStopped();
      const attempted = attempt().then((value) => ({ value }));
      inHand = attempted.catch(() => null);
      return attempted;
    },
    {
      startingDelay: options.firstDelayMs,
      maxDelay: options.maxDelayMs,
      timeMultiple: 2,
      jitter: 'none',
      delayFirstAttempt: options.delayFirstAttempt ?? false,
      numOfAttempts: Number.POSITIVE_INFINITY,
      retry: (error: unknown, failures: number) => {
        if (signal.aborted || options.isFinal?.(error)) return false;
        options.onFailure?.(error, failures);
        return true;
      },
    },
  ).catch((error: unknown) => {
    if (signal.aborted) return null;
    throw error;
  });
  try {
    const outcome = await Promise.race([retried, stopped]);
    return outcome ?? (await inHand);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
