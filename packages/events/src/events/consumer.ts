import { randomBytes, randomUUID } from 'node:crypto';
import { context as otelContext, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { Pause } from '../async/pause';
import { retryUntilStopped } from '../async/retry';
import {
  ANONYMOUS,
  signRequest,
  readEnv,
  sha256Base64Url,
  REQUEST_ID_HEADER,
  type Logger,
} from '@car-check/service-kit';
import type { CloudEvent } from './cloudEvent';
import { EVENT_PAGE_MAX, EVENTS_PATH } from './feed';
import { Outage } from './outage';
import { canonicalJson, type EventRejection, type EventVerifier } from './signature';

/**
 * A consumer of another subgraph's event feed (embedded delivery: no broker).
 *
 * It polls the owner's `GET /events?after=<cursor>` (signed as this service,
 * for the owner, like a SubgraphClient call), applies each event through a
 * handler in this service's own database, and saves its cursor in the same
 * transaction as the change the event made: a crash between the two cannot
 * happen, so an event is applied at least once and never skipped, and the
 * handler only has to be idempotent for redeliveries (e.g. apply by revision).
 *
 * The consuming database needs the tables `event_cursor (consumer text primary
 * key, position bigint, updated_at timestamptz)` and `event_dead_letter` (see
 * prisma/car/schema.prisma). Each event is applied in its own transaction under
 * a transaction-scoped advisory lock on the consumer's name, and only if the
 * saved cursor is still below it: several instances of a service (or a rebuild,
 * see {@link replayFeed}) never apply the same event twice nor move the cursor back.
 *
 * An event whose handler throws is retried (with backoff) up to `maxAttempts`
 * times, then written to `event_dead_letter` with the error, counted
 * (`events_dead_letters_total`), logged at error level, and passed: later
 * events still apply. Attempts are counted in memory (a restart starts over).
 * An owner that cannot be reached is retried with exponential backoff, logged
 * once per outage (warn) and once when it answers again (info).
 *
 * Before anything else, every event is checked against its owner's public key
 * (see signature.ts): one its owner did not sign (`unsigned`, `bad signature`,
 * `wrong source`) is written to `event_dead_letter` with that reason at once,
 * counted like any dead letter, and never reaches the handler, the cursor or
 * the lag's clock. In the feed it stays after the cursor (it is served again,
 * and refused again without a second dead letter), so the consumer shows lag.
 */

/** Database access the consumer needs: any Prisma client or interactive transaction. */
export interface ConsumerSql {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

/** Runs `work` in one database transaction (e.g. `(work, o) => prisma.$transaction(work, { timeout: o?.timeoutMs })`). */
export type ConsumerTransaction<TX extends ConsumerSql> = <R>(
  work: (tx: TX) => Promise<R>,
  options?: { timeoutMs?: number },
) => Promise<R>;

/** Applies one event inside the transaction that also saves the cursor. Throw to refuse it (retried, then dead-lettered). */
export type EventHandler<TX extends ConsumerSql> = (tx: TX, event: CloudEvent) => Promise<void>;

export interface ConsumerSettings {
  /** How often an idle consumer polls (EVENTS_POLL_MS, default 500). */
  pollMs: number;
  /** Attempts at one event before it is dead-lettered (EVENTS_MAX_ATTEMPTS, default 5). */
  maxAttempts: number;
  /** Events per feed request (EVENTS_PAGE_SIZE, default 100, at most 1000). */
  pageSize: number;
  /** Longest wait between polls of an owner that cannot be reached (EVENTS_MAX_BACKOFF_MS, default 30000). */
  maxBackoffMs: number;
  /** How long one feed request may take (EVENTS_TIMEOUT_MS, default 10000). */
  timeoutMs: number;
}

export const DEFAULT_CONSUMER_SETTINGS: ConsumerSettings = {
  pollMs: 500,
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
    maxAttempts: raw.EVENTS_MAX_ATTEMPTS,
    pageSize: raw.EVENTS_PAGE_SIZE,
    maxBackoffMs: raw.EVENTS_MAX_BACKOFF_MS,
    timeoutMs: raw.EVENTS_TIMEOUT_MS,
  };
}

/** Where a subgraph serves its feed, from its GraphQL URL (same origin). */
export const feedUrlOf = (graphqlUrl: string): string => new URL(EVENTS_PATH, graphqlUrl).toString();

export interface FeedSource {
  /** The subgraph that owns the events (the signature's audience). */
  owner: string;
  /** Its feed's URL; read on every poll (undefined while not known yet: the consumer waits). */
  feedUrl: () => string | undefined;
  /** This service, signing its requests as `service:<name>` with the signing secret. */
  signer: { service: string; secret: Buffer };
  /** Checks that each event is the owner's (signed with its key) before it is used at all. */
  verifier: EventVerifier;
  timeoutMs?: number;
}

export interface FeedConsumerOptions<TX extends ConsumerSql> extends FeedSource {
  /** Names the cursor, the dead letters, log lines and the metrics' `consumer` label, e.g. `cost-center-replica`. */
  name: string;
  /** Reads outside a transaction. */
  db: ConsumerSql;
  transaction: ConsumerTransaction<TX>;
  apply: EventHandler<TX>;
  log: Logger;
  /** The service's Prometheus registry (ServiceMetrics.registry), for the consumer's gauges and counters. */
  registry?: Registry;
  settings?: Partial<ConsumerSettings>;
}

/** What `/ready` and the gauges report about a consumer. */
export interface ConsumerStatus {
  owner: string;
  /** How events arrive: polling the owner's feed, or a broker queue (AMQP_URL set). */
  mode: 'feed' | 'amqp';
  running: boolean;
  /** The last poll reached the owner's feed (amqp: the consumer is attached to its queue). */
  connected: boolean;
  /** The cursor: the last sequence applied (or dead-lettered). */
  position: string | null;
  /** When the last event applied was made at its owner (its CloudEvent `time`). */
  lastAppliedEventTime: string | null;
  /** How far behind the owner this consumer is: 0 when caught up; null before the first poll. */
  lagSeconds: number | null;
  /** Events written to event_dead_letter by this consumer (all time). */
  deadLetters: number;
}

/** The feed answered something other than a page of events, or could not be reached. */
export class FeedUnavailable extends Error {
  override readonly name = 'FeedUnavailable';
}

/** The handler refused an event (the only failure that counts as an attempt). */
export class HandlerFailed extends Error {
  override readonly name = 'HandlerFailed';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

// Advisory locks of consumers live in their own key space (two int4 keys: this class, hashtext(name)).
const CONSUMER_LOCK_CLASS = 0x45564e54; // "EVNT"
const SEQUENCE = /^\d{1,19}$/;

/** Reads the cursor a consumer saved; 0 when it has none. */
export async function readCursor(db: ConsumerSql, consumer: string): Promise<bigint> {
  const rows = await db.$queryRaw<
    { position: string }[]
  >`SELECT position::text AS position FROM event_cursor WHERE consumer = ${consumer}`;
  return rows[0] ? BigInt(rows[0].position) : 0n;
}

export async function saveCursor(tx: ConsumerSql, consumer: string, position: bigint): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO event_cursor (consumer, position, updated_at) VALUES (${consumer}, ${position.toString()}::bigint, now())
    ON CONFLICT (consumer) DO UPDATE SET position = GREATEST(event_cursor.position, EXCLUDED.position), updated_at = now()`;
}

export async function tryLock(tx: ConsumerSql, consumer: string): Promise<boolean> {
  const rows = await tx.$queryRaw<
    { locked: boolean }[]
  >`SELECT pg_try_advisory_xact_lock(${CONSUMER_LOCK_CLASS}::int, hashtext(${consumer})) AS locked`;
  return rows[0]?.locked === true;
}

async function lock(tx: ConsumerSql, consumer: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${CONSUMER_LOCK_CLASS}::int, hashtext(${consumer}))::text AS locked`;
}

export async function writeDeadLetter(
  tx: ConsumerSql,
  consumer: string,
  event: CloudEvent,
  sequence: bigint,
  error: string,
  attempts: number,
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO event_dead_letter (id, consumer, event_id, source, sequence, event, error, attempts, failed_at)
    VALUES (gen_random_uuid(), ${consumer}, ${String(event.id ?? '')}, ${String(event.source ?? '')}, ${sequence.toString()}::bigint,
            ${JSON.stringify(event)}::jsonb, ${error.slice(0, 4000)}, ${attempts}::int, now())`;
}

/** The sequence of an event, or null when it has none a cursor could hold. */
export function sequenceOf(event: CloudEvent): bigint | null {
  return typeof event?.sequence === 'string' && SEQUENCE.test(event.sequence) ? BigInt(event.sequence) : null;
}

/**
 * A context whose (remote) parent is not sampled: background polling and what
 * it applies are not traced (a trace twice a second per consumer would drown
 * the requests'), with any parent-based sampler.
 */
export function untraced(): Context {
  return trace.setSpanContext(otelContext.active(), {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
}

/** One signed page of an owner's feed, after `after`. */
export async function fetchFeedPage(
  source: FeedSource,
  after: bigint,
  limit: number,
  signal?: AbortSignal,
): Promise<{ events: CloudEvent[]; next: bigint }> {
  const url = source.feedUrl();
  if (!url) throw new FeedUnavailable(`the ${source.owner} feed's address is not known yet`);
  const timeoutMs = source.timeoutMs ?? DEFAULT_CONSUMER_SETTINGS.timeoutMs;
  const requestId = `events-${randomUUID()}`;
  const identity = { ...ANONYMOUS, service: source.signer.service, scopes: [] };
  const deadline = AbortSignal.timeout(timeoutMs);
  const pageUrl = `${url}?after=${after.toString()}&limit=${limit}`;
  // A GET: the signature covers the method, this query string and the empty body.
  const signature = await signRequest(identity, { method: 'GET', url: pageUrl, body: '' }, source.signer.secret, {
    audience: source.owner,
    requestId,
    deadline: Date.now() + timeoutMs,
  });
  let response: Response;
  try {
    response = await fetch(pageUrl, {
      headers: {
        [REQUEST_ID_HEADER]: requestId,
        // Not sampled: polling is not traced at the owner either.
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
        ...signature,
      },
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
  } catch (error) {
    throw new FeedUnavailable(
      `the ${source.owner} feed cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const body = (await response.json().catch(() => null)) as { events?: unknown; next?: unknown } | null;
  if (response.status !== 200 || !body || !Array.isArray(body.events)) {
    throw new FeedUnavailable(`the ${source.owner} feed answered HTTP ${response.status} without events`);
  }
  const next =
    typeof body.next === 'number' || (typeof body.next === 'string' && SEQUENCE.test(body.next))
      ? BigInt(body.next)
      : after;
  return { events: body.events as CloudEvent[], next };
}

interface ConsumerMetrics {
  connected: Gauge<'consumer'>;
  lag: Gauge<'consumer'>;
  lastApplied: Gauge<'consumer'>;
  applied: Counter<'consumer'>;
  deadLetters: Counter<'consumer'>;
  rejected: Counter<'consumer' | 'reason'>;
  consumers: Set<FeedConsumer<ConsumerSql>>;
}

// One set of metrics per registry (per service), shared by its consumers through the `consumer` label.
const metricsByRegistry = new WeakMap<Registry, ConsumerMetrics>();

function consumerMetrics(registry: Registry): ConsumerMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics) return metrics;
  const consumers = new Set<FeedConsumer<ConsumerSql>>();
  const gauge = (name: string, help: string, read: (status: ConsumerStatus) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['consumer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const consumer of consumers) {
          const value = read(consumer.status());
          if (value !== null) this.set({ consumer: consumer.name }, value);
        }
      },
    });
  metrics = {
    consumers,
    connected: gauge(
      'events_consumer_connected',
      'Event consumers: 1 when the last poll reached the owner’s feed.',
      (s) => (s.connected ? 1 : 0),
    ),
    lag: gauge(
      'events_consumer_lag_seconds',
      'Event consumers: how far behind the owner’s feed (0 when caught up).',
      (s) => s.lagSeconds,
    ),
    lastApplied: gauge(
      'events_consumer_last_applied_timestamp_seconds',
      'Event consumers: when the last event applied was made (Unix time).',
      (s) => (s.lastAppliedEventTime ? Date.parse(s.lastAppliedEventTime) / 1000 : null),
    ),
    applied: new Counter({
      name: 'events_applied_total',
      help: 'Events applied by each consumer.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'events_dead_letters_total',
      help: 'Events a consumer could not apply after its attempts, written to event_dead_letter.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'events_rejected_total',
      help: 'Events a consumer refused because their owner did not sign them (also counted in events_dead_letters_total), by reason.',
      labelNames: ['consumer', 'reason'],
      registers: [registry],
    }),
  };
  metricsByRegistry.set(registry, metrics);
  return metrics;
}

type PollOutcome = 'more' | 'idle' | 'retry' | 'busy';

/** Polls one owner's feed and applies its events; see the module comment. */
export class FeedConsumer<TX extends ConsumerSql> {
  readonly name: string;
  readonly settings: ConsumerSettings;
  protected running = false;
  protected loop: Promise<void> | null = null;
  protected abort = new AbortController();
  /** The wait between polls (and retries of an event), which stop() ends. */
  protected readonly pause = new Pause();
  /** The cursor as last read or written; null until read from the database. */
  protected position: bigint | null = null;
  protected connected = false;
  /** Of the owner's feed (or of the broker, in the AMQP mode). */
  protected readonly outage: Outage;
  protected lastAppliedEventTime: string | null = null;
  /** `time` of the oldest event fetched but not applied yet; null when caught up. */
  protected pendingSince: number | null = null;
  /** When a poll last found nothing new. */
  protected caughtUpAt: number | null = null;
  protected deadLetters: number | null = null;
  /** Events refused (see {@link reject}), by digest: the feed serves them again, they are dead-lettered once. */
  protected readonly refused = new Set<string>();
  /** Since when the feed has served events after the cursor that were refused; null when it serves none. */
  protected refusedSince: number | null = null;
  /** Failed attempts at the event the consumer is stuck on, by event id. */
  protected readonly attempts = new Map<string, number>();
  protected readonly metrics: ConsumerMetrics | null;
  protected readonly mode: ConsumerStatus['mode'] = 'feed';
  /**
   * Whether events arrive in sequence order, so that one at or below the saved
   * cursor was applied already and is skipped (the feed). A queue shared by
   * competing instances does not guarantee it: there, every event is applied
   * (idempotently, by revision) and the cursor only records the highest one.
   */
  protected readonly ordered: boolean = true;

  constructor(protected readonly options: FeedConsumerOptions<TX>) {
    this.name = options.name;
    this.settings = { ...DEFAULT_CONSUMER_SETTINGS, ...options.settings };
    this.metrics = options.registry ? consumerMetrics(options.registry) : null;
    this.outage = new Outage(options.log);
  }

  /** Starts polling in the background (again, after stop()). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    // Re-read the cursor: a rebuild may have replaced it while stopped.
    this.position = null;
    this.metrics?.consumers.add(this as unknown as FeedConsumer<ConsumerSql>);
    this.loop = otelContext.with(untraced(), () => this.run());
  }

  /** Stops polling; resolves once the event in hand (if any) is applied or abandoned. */
  async stop(): Promise<void> {
    if (!this.running) return this.loop ?? undefined;
    this.running = false;
    this.abort.abort();
    this.pause.end();
    await this.loop;
    this.connected = false;
  }

  status(): ConsumerStatus {
    const now = Date.now();
    let lagSeconds: number | null = null;
    if (this.pendingSince !== null) lagSeconds = Math.max(0, (now - this.pendingSince) / 1000);
    else if (this.connected) lagSeconds = 0;
    else if (this.caughtUpAt !== null) lagSeconds = (now - this.caughtUpAt) / 1000;
    return {
      owner: this.options.owner,
      mode: this.mode,
      running: this.running,
      connected: this.connected,
      position: this.position === null ? null : this.position.toString(),
      lastAppliedEventTime: this.lastAppliedEventTime,
      lagSeconds,
      deadLetters: this.deadLetters ?? 0,
    };
  }

  protected async run(): Promise<void> {
    while (this.running) {
      const polled = await retryUntilStopped(() => this.poll(), {
        firstDelayMs: this.settings.pollMs,
        maxDelayMs: this.settings.maxBackoffMs,
        signal: this.abort.signal,
        onFailure: (error) => {
          this.connected = false;
          // Once per outage, not once per poll. An owner that is not up yet (every first start) or
          // down is expected: its reason in one line. Only an unexpected error deserves its stack.
          if (error instanceof FeedUnavailable) {
            this.outage.began(
              { consumer: this.name, owner: this.options.owner, reason: error.message },
              'cannot read the event feed yet; retrying with backoff until it answers',
            );
          } else {
            this.outage.began(
              { consumer: this.name, owner: this.options.owner, err: error },
              'cannot read the event feed; retrying with backoff (the read model is falling behind)',
            );
          }
        },
      });
      if (!polled) break;
      this.outage.ended({ consumer: this.name, owner: this.options.owner }, 'event feed reachable again');
      const wait = this.pauseAfter(polled.value);
      if (this.running && wait > 0) await this.sleep(wait);
    }
  }

  /** Retries an operation on the database while it cannot be reached; null when stopped first. */
  protected retryDatabase<T>(
    operation: () => Promise<T>,
    onFailure?: (error: unknown, failures: number) => void,
  ): Promise<{ value: T } | null> {
    return retryUntilStopped(operation, {
      firstDelayMs: this.settings.pollMs,
      maxDelayMs: this.settings.maxBackoffMs,
      signal: this.abort.signal,
      onFailure,
    });
  }

  /** How long to wait after a poll: none when the page was full, a backoff after a failed event, else the poll interval. */
  protected pauseAfter(outcome: PollOutcome): number {
    if (outcome === 'more') return 0;
    if (outcome === 'retry') return this.backoff(Math.max(...this.attempts.values(), 1));
    return this.settings.pollMs;
  }

  /** The wait before the next attempt at an event that failed `failures` times (counted across polls). */
  protected backoff(failures: number): number {
    return Math.min(this.settings.maxBackoffMs, this.settings.pollMs * 2 ** Math.min(failures - 1, 20));
  }

  protected sleep(ms: number): Promise<void> {
    return this.pause.for(ms);
  }

  /**
   * Reads the consumer's cursor and dead-letter count once; afterwards they are kept in memory,
   * so idle polls (and an idle queue) touch no database.
   */
  protected async loadState(): Promise<bigint> {
    this.position ??= await readCursor(this.options.db, this.name);
    if (this.deadLetters === null) {
      const rows = await this.options.db.$queryRaw<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM event_dead_letter WHERE consumer = ${this.name}`;
      this.deadLetters = rows[0]?.n ?? 0;
    }
    return this.position;
  }

  /** Reads one page of the owner's feed after the in-memory position and applies its events. */
  protected async poll(): Promise<PollOutcome> {
    if (!this.options.feedUrl()) throw new FeedUnavailable(`the ${this.options.owner} feed's address is not known yet`);
    const position = await this.loadState();
    const page = await fetchFeedPage(this.options, position, this.settings.pageSize, this.abort.signal);
    this.connected = true;
    if (page.events.length === 0) {
      this.pendingSince = null;
      this.refusedSince = null;
      this.caughtUpAt = Date.now();
      return 'idle';
    }
    // Before anything else: what its owner did not sign never reaches the cursor, a revision or the lag's clock.
    const verified: CloudEvent[] = [];
    for (const event of page.events) {
      const rejection = this.options.verifier.check(event);
      if (rejection) await this.reject(event, rejection);
      else verified.push(event);
    }
    this.refusedSince = verified.length < page.events.length ? (this.refusedSince ?? Date.now()) : null;
    const outcome = await this.applyPage(verified);
    if (outcome !== 'more' && outcome !== 'idle') return outcome;
    // Refused events stay after the cursor: the consumer is behind by as long as they have been served.
    if (this.refusedSince !== null) this.pendingSince = Math.min(this.pendingSince ?? Infinity, this.refusedSince);
    // A page with nothing verified in it would come back unchanged: wait for the next poll.
    if (page.events.length < this.settings.pageSize || verified.length === 0) {
      this.caughtUpAt = Date.now();
      return 'idle';
    }
    return 'more';
  }

  /** Applies a page's verified events in order (those at or below the cursor are skipped). */
  private async applyPage(events: CloudEvent[]): Promise<PollOutcome> {
    if (this.position === null) throw new Error('the cursor is not read yet');
    for (const [index, event] of events.entries()) {
      if (!this.running) return 'idle';
      const sequence = sequenceOf(event);
      if (sequence === null)
        throw new FeedUnavailable(`the ${this.options.owner} feed sent an event without a sequence`);
      if (sequence <= this.position) continue;
      this.pendingSince = Date.parse(event.time) || Date.now();
      const outcome = await this.applyOne(event, sequence);
      if (outcome === 'busy' || outcome === 'retry') return outcome;
      const following = events[index + 1];
      this.pendingSince = following ? Date.parse(following.time) || Date.now() : null;
    }
    return 'more';
  }

  /**
   * Dead-letters an event its owner did not sign, with the reason, at once and once
   * (the feed serves it again): no attempt, no cursor, no revision moves. Its claimed
   * sequence is not trusted either (the letter's sequence is 0). Throws when the
   * database cannot be reached.
   */
  protected async reject(event: unknown, rejection: EventRejection): Promise<void> {
    const record = (
      typeof event === 'object' && event !== null && !Array.isArray(event) ? event : { raw: event }
    ) as CloudEvent;
    const digest = sha256Base64Url(canonicalJson(record));
    if (this.refused.has(digest)) return;
    await this.options.transaction(async (tx) => {
      await writeDeadLetter(tx, this.name, record, 0n, `${rejection.reason}: ${rejection.detail}`, 1);
    });
    // Bounded: a feed that keeps serving new forgeries costs memory no more than this.
    if (this.refused.size >= 10_000) this.refused.clear();
    this.refused.add(digest);
    this.deadLetters = (this.deadLetters ?? 0) + 1;
    this.metrics?.deadLetters.inc({ consumer: this.name });
    this.metrics?.rejected.inc({ consumer: this.name, reason: rejection.reason });
    this.options.log.error(
      {
        consumer: this.name,
        owner: this.options.owner,
        eventId: String(record.id),
        type: String(record.type),
        reason: rejection.reason,
        detail: rejection.detail,
      },
      'refused an event its owner did not sign: written to event_dead_letter, no cursor or revision moved',
    );
  }

  /** Applies one event with its cursor; on the last failed attempt, dead-letters it with its cursor instead. */
  protected async applyOne(
    event: CloudEvent,
    sequence: bigint,
  ): Promise<'applied' | 'skipped' | 'busy' | 'retry' | 'dead'> {
    const { name } = this;
    let result: 'applied' | 'skipped' | 'busy';
    try {
      result = await this.options.transaction(async (tx) => {
        // Another instance, or a rebuild, is applying this consumer's events: let it.
        if (!(await tryLock(tx, name))) return 'busy';
        const saved = await readCursor(tx, name);
        if (this.ordered && saved >= sequence) {
          this.position = saved;
          return 'skipped';
        }
        try {
          await this.options.apply(tx, event);
        } catch (error) {
          throw new HandlerFailed(error);
        }
        await saveCursor(tx, name, sequence);
        return 'applied';
      });
    } catch (error) {
      // A database that cannot be reached is an outage (backoff), not the event's fault.
      if (!(error instanceof HandlerFailed)) throw error;
      return this.failed(event, sequence, error);
    }
    if (result === 'busy') return 'busy';
    this.attempts.delete(event.id);
    if (result === 'applied') {
      this.position = this.position !== null && this.position > sequence ? this.position : sequence;
      this.lastAppliedEventTime = event.time;
      this.metrics?.applied.inc({ consumer: name });
    }
    return result;
  }

  protected async failed(event: CloudEvent, sequence: bigint, error: HandlerFailed): Promise<'retry' | 'dead'> {
    const attempts = (this.attempts.get(event.id) ?? 0) + 1;
    const context = {
      consumer: this.name,
      owner: this.options.owner,
      eventId: event.id,
      type: event.type,
      subject: event.subject,
      sequence: event.sequence,
      attempts,
    };
    if (attempts < this.settings.maxAttempts) {
      this.attempts.clear();
      this.attempts.set(event.id, attempts);
      this.options.log.warn({ ...context, err: error.cause }, 'cannot apply an event; retrying it');
      return 'retry';
    }
    const dead = await this.options.transaction(async (tx) => {
      if (!(await tryLock(tx, this.name))) return false;
      if (this.ordered && (await readCursor(tx, this.name)) >= sequence) return false;
      await writeDeadLetter(tx, this.name, event, sequence, error.message, attempts);
      await saveCursor(tx, this.name, sequence);
      return true;
    });
    this.attempts.delete(event.id);
    if (!dead) {
      this.position = null;
      return 'retry';
    }
    this.position = this.position !== null && this.position > sequence ? this.position : sequence;
    this.deadLetters = (this.deadLetters ?? 0) + 1;
    this.metrics?.deadLetters.inc({ consumer: this.name });
    this.options.log.error(
      { ...context, err: error.cause },
      'gave up on an event: written to event_dead_letter, moving on',
    );
    return 'dead';
  }
}

export interface ReplayOptions<TX extends ConsumerSql> extends FeedSource {
  name: string;
  transaction: ConsumerTransaction<TX>;
  apply: EventHandler<TX>;
  /** Empties the read model (inside the replay's transaction). */
  reset: (tx: TX) => Promise<void>;
  pageSize?: number;
  /** How long the one transaction may take (default 10 minutes). */
  timeoutMs?: number;
}

export interface ReplayReport {
  applied: number;
  deadLetters: number;
  position: string;
}

/**
 * Rebuilds a read model from the owner's full feed: empties it and its cursor
 * and applies every event from the start, in ONE transaction holding the
 * consumer's advisory lock. Readers see the old read model until the new one
 * is committed whole, and a consumer running meanwhile (another process, on
 * PostgreSQL) waits (its events are skipped while the lock is held) and then
 * resumes from the rebuilt cursor. An event the handler refuses is
 * dead-lettered at once (a replay is deterministic: retrying would refuse it
 * again); it is rolled back to a savepoint, so the rest still applies. An
 * event its owner did not sign is dead-lettered with its reason and moves
 * nothing.
 */
export async function replayFeed<TX extends ConsumerSql>(options: ReplayOptions<TX>): Promise<ReplayReport> {
  const pageSize = options.pageSize ?? EVENT_PAGE_MAX;
  return options.transaction(
    async (tx) => {
      await lock(tx, options.name);
      await options.reset(tx);
      await tx.$executeRaw`DELETE FROM event_cursor WHERE consumer = ${options.name}`;
      // `after` pages through the feed; `position` (the cursor saved) comes from verified events only.
      let after = 0n;
      let position = 0n;
      let applied = 0;
      let deadLetters = 0;
      for (;;) {
        const page = await fetchFeedPage(options, after, pageSize);
        if (page.events.length === 0) break;
        const before = after;
        for (const event of page.events) {
          const claimed = sequenceOf(event);
          if (claimed !== null && claimed > after) after = claimed;
          const rejection = options.verifier.check(event);
          if (rejection) {
            await writeDeadLetter(tx, options.name, event, 0n, `${rejection.reason}: ${rejection.detail}`, 1);
            deadLetters += 1;
            continue;
          }
          const sequence = claimed;
          if (sequence === null)
            throw new FeedUnavailable(`the ${options.owner} feed sent an event without a sequence`);
          if (sequence <= position) continue;
          await tx.$executeRaw`SAVEPOINT replay_event`;
          try {
            await options.apply(tx, event);
            await tx.$executeRaw`RELEASE SAVEPOINT replay_event`;
            applied += 1;
          } catch (error) {
            await tx.$executeRaw`ROLLBACK TO SAVEPOINT replay_event`;
            await writeDeadLetter(
              tx,
              options.name,
              event,
              sequence,
              error instanceof Error ? error.message : String(error),
              1,
            );
            deadLetters += 1;
          }
          position = sequence;
        }
        if (after === before) break;
      }
      await saveCursor(tx, options.name, position);
      return { applied, deadLetters, position: position.toString() };
    },
    { timeoutMs: options.timeoutMs ?? 600_000 },
  );
}

export interface RedriveOptions<TX extends ConsumerSql> {
  /** The consumer whose dead letters to apply again. */
  name: string;
  db: ConsumerSql;
  transaction: ConsumerTransaction<TX>;
  apply: EventHandler<TX>;
  /** A dead letter is applied only if its owner signed it (a refused forgery stays refused). */
  verifier: EventVerifier;
}

export interface RedriveReport {
  /** Dead letters applied now, and removed. */
  redriven: number;
  /** Dead letters the handler still refuses: kept, with the new error and one more attempt. */
  failing: number;
}

/**
 * Applies a consumer's dead letters again, oldest first, once their cause is fixed
 * (`npm run events:redrive`): each in its own transaction under the consumer's lock
 * (a running consumer's event in hand finishes first), removed when the handler takes
 * it, kept with its new error otherwise. Applying an old event late is safe because
 * handlers apply by revision: one a later event superseded changes nothing, and is
 * removed too. The cursor does not move: dead letters are behind it already.
 */
export async function redriveDeadLetters<TX extends ConsumerSql>(options: RedriveOptions<TX>): Promise<RedriveReport> {
  const letters = await options.db.$queryRaw<{ id: string; event: CloudEvent | string }[]>`
    SELECT id::text AS id, event FROM event_dead_letter WHERE consumer = ${options.name} ORDER BY sequence, failed_at, id`;
  const report: RedriveReport = { redriven: 0, failing: 0 };
  for (const letter of letters) {
    const event = (typeof letter.event === 'string' ? JSON.parse(letter.event) : letter.event) as CloudEvent;
    const rejection = options.verifier.check(event);
    const applied = await options.transaction(async (tx) => {
      await lock(tx, options.name);
      await tx.$executeRaw`SAVEPOINT redrive_event`;
      try {
        if (rejection) throw new Error(`${rejection.reason}: ${rejection.detail}`);
        await options.apply(tx, event);
      } catch (error) {
        await tx.$executeRaw`ROLLBACK TO SAVEPOINT redrive_event`;
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 4000);
        await tx.$executeRaw`UPDATE event_dead_letter SET error = ${message}, attempts = attempts + 1, failed_at = now() WHERE id = ${letter.id}::uuid`;
        return false;
      }
      await tx.$executeRaw`DELETE FROM event_dead_letter WHERE id = ${letter.id}::uuid`;
      return true;
    });
    if (applied) report.redriven += 1;
    else report.failing += 1;
  }
  return report;
}
