import { z } from 'zod';
import { readEnv } from '@car-check/service-kit';

/** How a subgraph serves its subscription fields (docs/subscriptions.md). */
export interface SubscriptionSettings {
  /** How often an idle stream sends a heartbeat comment, so that proxies and the gateway keep it open. */
  heartbeatMs: number;
  /** How old the first event a cursor would replay may be: older is OUT_OF_RANGE (the client refetches). */
  replayWindowMs: number;
  /** How many live events a subscriber may have waiting; one more ends its stream with RESOURCE_EXHAUSTED. */
  bufferSize: number;
  /** How often the outbox is read for writes of other processes (this process's own wake it at once). */
  pollMs: number;
}

const HOUR_MS = 3_600_000;

/** Reads the subscription settings, failing fast with the variables' names. */
export function subscriptionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SubscriptionSettings {
  const raw = readEnv(
    {
      SUBSCRIPTION_HEARTBEAT_MS: z.coerce
        .number()
        .int()
        .min(100)
        .max(300_000)
        .default(15_000)
        .describe('how often an idle subscription stream (SSE) sends a heartbeat comment'),
      // Fractions of an hour are allowed (tests, and a deployment that keeps less).
      SUBSCRIPTION_REPLAY_WINDOW_HOURS: z.coerce
        .number()
        .positive()
        .max(24 * 365)
        .default(24)
        .describe(
          'how far back a subscription cursor can resume: a cursor whose next event is older is `OUT_OF_RANGE` (fractions allowed)',
        ),
      SUBSCRIPTION_BUFFER_SIZE: z.coerce
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(1_000)
        .describe('live events a slow subscriber may have waiting; one more ends it with `RESOURCE_EXHAUSTED`'),
      SUBSCRIPTION_POLL_MS: z.coerce
        .number()
        .int()
        .min(10)
        .max(60_000)
        .default(1_000)
        .describe("how often the subscriptions' outbox tailer looks for rows other processes wrote"),
    },
    env,
  );
  return {
    heartbeatMs: raw.SUBSCRIPTION_HEARTBEAT_MS,
    replayWindowMs: Math.round(raw.SUBSCRIPTION_REPLAY_WINDOW_HOURS * HOUR_MS),
    bufferSize: raw.SUBSCRIPTION_BUFFER_SIZE,
    pollMs: raw.SUBSCRIPTION_POLL_MS,
  };
}
