import { context as otelContext } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { Pause } from '../async/pause';
import { retryUntilStopped } from '../async/retry';
import { sha256Base64Url, type Logger } from '@car-check/service-kit';
import type { CloudEvent } from './cloudEvent';
import { consumerMetrics, type ConsumerMetrics } from './consumerMetrics';
import { DEFAULT_CONSUMER_SETTINGS, type ConsumerSettings } from './consumerSettings';
import {
  readCursor,
  saveCursor,
  sequenceOf,
  tryLock,
  writeDeadLetter,
  type BatchHandler,
  type ConsumerSql,
  type ConsumerTransaction,
  type EventHandler,
} from './consumerStore';
import { fetchFeedPage, FeedUnavailable, untraced, type FeedSource } from './feedClient';
import { Outage } from './outage';
import { canonicalJson, type EventRejection } from './signature';

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
 * Batch mode (`applyBatch` given): a page's verified events above the cursor are
 * applied in ONE transaction, under the same lock and cursor-read rules, with the
 * cursor saved once at the page's highest sequence: a read model that can apply
 * many events in a few statements ingests a page for about the cost of one event.
 * If the batch handler throws, that transaction rolls back and the page goes
 * through the per-event path below, so a bad event gets its retries and its dead
 * letter and the others still apply; a page holding an event already being retried
 * goes event by event at once. Without `applyBatch`, every event has its own
 * transaction.
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

export interface FeedConsumerOptions<TX extends ConsumerSql> extends FeedSource {
  /** Names the cursor, the dead letters, log lines and the metrics' `consumer` label, e.g. `cost-center-replica`. */
  name: string;
  /** Reads outside a transaction. */
  db: ConsumerSql;
  transaction: ConsumerTransaction<TX>;
  apply: EventHandler<TX>;
  /**
   * Optional batch mode (see the module comment): applies a page's events in one transaction. Must
   * leave the same state as `apply` on each event in turn; the feed consumer falls back to `apply`
   * when it throws. The broker mode (AmqpConsumer) handles one message at a time and ignores it.
   */
  applyBatch?: BatchHandler<TX>;
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
  /** When a poll (or the queue) last showed it had everything the owner had published; null: not yet. */
  caughtUpAt: string | null;
  /** Events written to event_dead_letter by this consumer (all time). */
  deadLetters: number;
}

/** The handler refused an event (the only failure that counts as an attempt). */
export class HandlerFailed extends Error {
  override readonly name = 'HandlerFailed';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

type PollOutcome = 'more' | 'idle' | 'retry' | 'busy';

/** The highest sequence of some events (0 for none). */
const highestOf = (events: readonly { sequence: bigint }[]): bigint =>
  events.reduce((highest, { sequence }) => (sequence > highest ? sequence : highest), 0n);

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
  /** When a caught-up consumer reads again (set by poll, read by pauseAfter). */
  private idleUntil = 0;
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
      caughtUpAt: this.caughtUpAt === null ? null : new Date(this.caughtUpAt).toISOString(),
      deadLetters: this.deadLetters ?? 0,
    };
  }

  protected async run(): Promise<void> {
    while (this.running) {
      // A long poll, unless the last page held refused events: the same page comes back at once then
      // (a man in the middle adds them), and is read again each poll interval.
      const polled = await retryUntilStopped(() => this.poll(this.refusedSince === null ? this.settings.waitMs : 0), {
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

  /**
   * How long to wait after a poll: none when the page was full, a backoff after a failed event, the
   * poll interval when another instance holds the consumer's lock; when caught up, what is left of
   * the poll interval since the asking (none after a read the owner held: see poll).
   */
  protected pauseAfter(outcome: PollOutcome): number {
    if (outcome === 'more') return 0;
    if (outcome === 'retry') return this.backoff(Math.max(...this.attempts.values(), 1));
    if (outcome === 'busy') return this.settings.pollMs;
    return Math.max(0, this.idleUntil - Date.now());
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

  /**
   * Reads one page of the owner's feed after the in-memory position and applies its events. With
   * `waitMs`, the owner may hold a read that finds nothing until an event commits (a long poll):
   * the consumer then asks again at once. An owner that answers an empty page sooner than the poll
   * interval (one that does not hold reads, or that is shutting down) is asked again only once the
   * interval has passed since the asking.
   */
  protected async poll(waitMs = 0): Promise<PollOutcome> {
    if (!this.options.feedUrl()) throw new FeedUnavailable(`the ${this.options.owner} feed's address is not known yet`);
    const position = await this.loadState();
    // A page holds every event committed before it was asked for (the feed is in commit order), not
    // those committed while it was on its way or being applied: caught up as of the asking.
    const askedAt = Date.now();
    const page = await fetchFeedPage(this.options, position, this.settings.pageSize, this.abort.signal, waitMs);
    this.connected = true;
    if (page.events.length === 0) {
      this.pendingSince = null;
      this.refusedSince = null;
      // An empty answer is the owner's last look, just before it answered (it may have held the read).
      this.caughtUpAt = waitMs > 0 ? Date.now() : askedAt;
      this.idleUntil = askedAt + this.settings.pollMs;
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
      this.caughtUpAt = askedAt;
      // The next read waits at the owner for what comes next; without waiting, or with nothing
      // verified (the same page would come back at once), it comes after the poll interval.
      this.idleUntil = waitMs > 0 && verified.length > 0 ? 0 : Date.now() + this.settings.pollMs;
      return 'idle';
    }
    return 'more';
  }

  /**
   * Applies a page's verified events in order (those at or below the cursor are skipped): in one
   * transaction in batch mode, else (or when the batch is refused) one event per transaction.
   */
  private async applyPage(events: CloudEvent[]): Promise<PollOutcome> {
    if (this.position === null) throw new Error('the cursor is not read yet');
    if (this.options.applyBatch) {
      const outcome = await this.applyPageAtOnce(this.options.applyBatch, events);
      if (outcome !== 'refused') return outcome;
    }
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
   * Applies a page's events above the cursor with the batch handler in one transaction, the cursor
   * saved once at the highest; 'refused' when the handler threw (rolled back: nothing moved) or an
   * event of the page is being retried, so that the page goes event by event.
   */
  private async applyPageAtOnce(handler: BatchHandler<TX>, events: CloudEvent[]): Promise<PollOutcome | 'refused'> {
    const position = this.position ?? 0n;
    const fresh: { event: CloudEvent; sequence: bigint }[] = [];
    for (const event of events) {
      const sequence = sequenceOf(event);
      if (sequence === null)
        throw new FeedUnavailable(`the ${this.options.owner} feed sent an event without a sequence`);
      if (sequence > position) fresh.push({ event, sequence });
    }
    if (fresh.length === 0) return 'more';
    if (!this.running) return 'idle';
    // An event that failed already gets its attempts counted and its dead letter by the per-event path.
    if (fresh.some(({ event }) => this.attempts.has(event.id))) return 'refused';
    const { name } = this;
    this.pendingSince = Date.parse(fresh[0]!.event.time) || Date.now();
    let result: { saved: bigint; applied: typeof fresh } | 'busy';
    try {
      result = await this.options.transaction(async (tx) => {
        // Another instance, or a rebuild, is applying this consumer's events: let it.
        if (!(await tryLock(tx, name))) return 'busy';
        const saved = await readCursor(tx, name);
        const due = this.ordered ? fresh.filter(({ sequence }) => sequence > saved) : fresh;
        if (due.length === 0) return { saved, applied: due };
        try {
          await handler(
            tx,
            due.map(({ event }) => event),
          );
        } catch (error) {
          throw new HandlerFailed(error);
        }
        await saveCursor(tx, name, highestOf(due));
        return { saved, applied: due };
      });
    } catch (error) {
      // A database that cannot be reached is an outage (backoff), not the page's fault.
      if (!(error instanceof HandlerFailed)) throw error;
      this.options.log.warn(
        { consumer: name, owner: this.options.owner, events: fresh.length, err: error.cause },
        'cannot apply a page of events at once; applying them one by one',
      );
      return 'refused';
    }
    if (result === 'busy') return 'busy';
    const applied = highestOf(result.applied);
    let highest = result.saved > position ? result.saved : position;
    if (applied > highest) highest = applied;
    const last = result.applied.at(-1);
    if (last) {
      this.lastAppliedEventTime = last.event.time;
      this.metrics?.applied.inc({ consumer: name }, result.applied.length);
    }
    this.position = highest;
    this.pendingSince = null;
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
