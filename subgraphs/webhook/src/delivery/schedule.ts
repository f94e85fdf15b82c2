/**
 * When a failed delivery is tried again: exponential backoff over about a day and a
 * quarter, with jitter, like Svix and Stripe. The first attempt is immediate; after the
 * n-th failure the next attempt waits RETRY_DELAYS_MS[n-1] (±20%). After the last
 * delay's attempt fails, the delivery has failed for good and its endpoint is disabled.
 * docs/webhooks.md shows this table; keep them together.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000, // 5 s
  5 * 60_000, // 5 min
  30 * 60_000, // 30 min
  2 * 3_600_000, // 2 h
  5 * 3_600_000, // 5 h
  10 * 3_600_000, // 10 h
  10 * 3_600_000, // 10 h
];

/** Attempts a delivery gets in all: the first, and one after each delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** ±20%: endpoints that failed together are not all retried in the same second. */
const JITTER = 0.2;

/**
 * How long to wait after `attempts` failed attempts, or null when the schedule is exhausted.
 * `random` is in [0, 1) (Math.random; tests pass their own).
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number | null {
  const base = RETRY_DELAYS_MS[attempts - 1];
  if (attempts < 1 || base === undefined) return null;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
