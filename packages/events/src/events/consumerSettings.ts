import { z } from 'zod';
import { readEnv } from '@car-check/service-kit';
import { EVENT_PAGE_MAX, FEED_WAIT_MAX_MS } from './feed';

/** How a consumer polls, retries and pages (EVENTS_* variables). */
export interface ConsumerSettings {
  /**
   * How often an idle consumer polls (EVENTS_POLL_MS, default 500): an owner that holds reads (see
   * waitMs) answers at most this often with nothing.
   */
  pollMs: number;
  /**
   * How long the owner may hold a read that finds no events, answering as soon as one commits
   * (EVENTS_WAIT_MS, default 2000, at most 30000; 0 polls every pollMs instead): a long poll.
   * A held read tells the consumer nothing until it ends, so this is also how far behind an idle
   * consumer may believe itself (a read model's freshness): 2 s keeps that short while an idle
   * consumer reads a quarter as often as polling every 500 ms.
   */
  waitMs: number;
  /** Attempts at one event before it is dead-lettered (EVENTS_MAX_ATTEMPTS, default 5). */
  maxAttempts: number;
  /** Events per feed request (EVENTS_PAGE_SIZE, default 100, at most 1000). */
  pageSize: number;
  /** Longest wait between polls of an owner that cannot be reached (EVENTS_MAX_BACKOFF_MS, default 30000). */
  maxBackoffMs: number;
  /** How long one feed request may take, besides the time the owner may hold it (EVENTS_TIMEOUT_MS, default 10000). */
  timeoutMs: number;
}

export const DEFAULT_CONSUMER_SETTINGS: ConsumerSettings = {
  pollMs: 500,
  waitMs: 2_000,
  maxAttempts: 5,
  pageSize: 100,
  maxBackoffMs: 30_000,
  timeoutMs: 10_000,
};

/** The consumer settings from the environment (EVENTS_POLL_MS, EVENTS_MAX_ATTEMPTS, ...). */
export function consumerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ConsumerSettings {
  const raw = readEnv(
    {
      EVENTS_POLL_MS: z.coerce.number().int().min(1).max(600_000).default(DEFAULT_CONSUMER_SETTINGS.pollMs),
      EVENTS_WAIT_MS: z.coerce.number().int().min(0).max(FEED_WAIT_MAX_MS).default(DEFAULT_CONSUMER_SETTINGS.waitMs),
      EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(DEFAULT_CONSUMER_SETTINGS.maxAttempts),
      EVENTS_PAGE_SIZE: z.coerce.number().int().min(1).max(EVENT_PAGE_MAX).default(DEFAULT_CONSUMER_SETTINGS.pageSize),
      EVENTS_MAX_BACKOFF_MS: z.coerce
        .number()
        .int()
        .min(1)
        .max(3_600_000)
        .default(DEFAULT_CONSUMER_SETTINGS.maxBackoffMs),
      EVENTS_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(DEFAULT_CONSUMER_SETTINGS.timeoutMs),
    },
    env,
  );
  return {
    pollMs: raw.EVENTS_POLL_MS,
    waitMs: raw.EVENTS_WAIT_MS,
    maxAttempts: raw.EVENTS_MAX_ATTEMPTS,
    pageSize: raw.EVENTS_PAGE_SIZE,
    maxBackoffMs: raw.EVENTS_MAX_BACKOFF_MS,
    timeoutMs: raw.EVENTS_TIMEOUT_MS,
  };
}
