import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { z } from 'zod';
import { readEnv, type Logger } from '@car-check/service-kit';
import { eventsOfSubgraph } from './catalog';
import { toCloudEvent, type AuditEventRecord, type CloudEvent } from './cloudEvent';
import { Pause } from '../async/pause';
import { retryUntilStopped } from '../async/retry';
import { Outage } from './outage';
import { onOutboxWritten } from './outboxSignal';
import type { EventSigner } from './signature';
import type { RawSql } from '../rawSql';

/**
 * The broker delivery mode (when AMQP_URL is set): a relay in each owning
 * subgraph publishes its event rows to a durable topic exchange, and a
 * consumer reads a durable queue bound to it (see amqpConsumer.ts).
 *
 * The relay reads the event rows not published yet (`audit_event.published_at
 * IS NULL`, CREATE/UPDATE/DELETE of this subgraph's entities) in sequence
 * order, which is commit order (see recordAudit), in batches; publishes each
 * as a CloudEvent signed with the subgraph's key (JSON, persistent, routing key = its type, e.g.
 * `cost-center.updated`) on a confirm channel; and sets `published_at` only
 * once the broker has confirmed the whole batch. A crash between publishing
 * and marking publishes those rows again: delivery is at least once, and
 * consumers are idempotent (by revision).
 */

export const DEFAULT_EVENTS_EXCHANGE = 'car-check.events';

export interface AmqpSettings {
  /** AMQP_URL, e.g. amqp://guest:guest@127.0.0.1:5672. */
  url: string;
  /** The durable topic exchange events are published to (EVENTS_EXCHANGE, default car-check.events). */
  exchange: string;
  /** The consumer's durable queue, when set (EVENTS_QUEUE; otherwise the consumer picks a name). */
  queue: string | undefined;
  /** Rows per relay batch (EVENTS_RELAY_BATCH, default 100). */
  relayBatch: number;
  /** How often an idle relay looks for new rows (EVENTS_RELAY_POLL_MS, default 200). */
  relayPollMs: number;
  /** Unacknowledged messages a consumer holds at most (EVENTS_PREFETCH, default 20). */
  prefetch: number;
}

/** The broker settings from the environment, or null when AMQP_URL is not set (the embedded mode). */
export function amqpSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AmqpSettings | null {
  const raw = readEnv(
    {
      AMQP_URL: z
        .string()
        .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
        .optional(),
      EVENTS_EXCHANGE: z.string().min(1).max(255).default(DEFAULT_EVENTS_EXCHANGE),
      EVENTS_QUEUE: z.string().min(1).max(255).optional(),
      EVENTS_RELAY_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
      EVENTS_RELAY_POLL_MS: z.coerce.number().int().min(1).max(600_000).default(200),
      EVENTS_PREFETCH: z.coerce.number().int().min(1).max(1000).default(20),
    },
    env,
  );
  if (!raw.AMQP_URL) return null;
  return {
    url: raw.AMQP_URL,
    exchange: raw.EVENTS_EXCHANGE,
    queue: raw.EVENTS_QUEUE,
    relayBatch: raw.EVENTS_RELAY_BATCH,
    relayPollMs: raw.EVENTS_RELAY_POLL_MS,
    prefetch: raw.EVENTS_PREFETCH,
  };
}

/** The broker URL without its password, for logs and `/ready`. */
export const redactAmqpUrl = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/** Any Prisma client: every subgraph has the same `audit_event` table. */
export type RelaySql = RawSql;

export interface EventRelayOptions {
  /** This subgraph's name: whose events it publishes. */
  subgraph: string;
  db: RelaySql;
  settings: AmqpSettings;
  /** Signs each event as it is published (with this subgraph's key: see signature.ts). */
  signer: EventSigner;
  log: Logger;
  /** Longest wait before reconnecting to a broker that cannot be reached (default 30000). */
  maxBackoffMs?: number;
}

export interface RelayStatus {
  mode: 'amqp';
  running: boolean;
  connected: boolean;
  broker: string;
  exchange: string;
  /** Rows published and marked since start. */
  published: number;
  /** The last sequence marked published, since start. */
  lastPublishedSequence: string | null;
  /**
   * Messages the broker returned since start because no queue was bound for
   * their routing key, by routing key: the broker dropped them (they stay in
   * the feed; a consumer deployed later backfills with a rebuild).
   */
  unroutable: Record<string, number>;
}

/** The unpublished event rows of a subgraph, oldest first. */
export async function readUnpublished(db: RelaySql, subgraph: string, limit: number): Promise<AuditEventRecord[]> {
  const definitions = eventsOfSubgraph(subgraph);
  const entities = [...new Set(definitions.map((event) => event.entity))];
  const actions = [...new Set(definitions.map((event) => event.action))];
  if (entities.length === 0) return [];
  return db.$queryRaw<AuditEventRecord[]>`
    SELECT id, entity, entity_id AS "entityId", action, actor_id AS "actorId", request_id AS "requestId",
           trace_id AS "traceId", revision, at, sequence, changes
    FROM audit_event
    WHERE published_at IS NULL AND entity = ANY(${entities}::text[]) AND action = ANY(${actions}::text[])
    ORDER BY sequence
    LIMIT ${limit}`;
}

/** Publishes a subgraph's unpublished event rows to the broker; see the module comment. */
export class EventRelay {
  private running = false;
  private loop: Promise<void> | null = null;
  /**
   * The wait between polls, which stop() or a write of this process ends. (The backoff after a
   * failure never ends early for a write: a broker that is down is not hammered.)
   */
  private readonly idle = new Pause();
  private connection: ChannelModel | null = null;
  private connected = false;
  private published = 0;
  private lastPublishedSequence: string | null = null;
  private readonly outage: Outage;
  private readonly unroutable = new Map<string, number>();
  /** A write committed in this process since the relay last looked (see outboxSignal.ts). */
  private nudged = false;
  private unsubscribe: (() => void) | null = null;
  /** Ends the backoff between connection attempts at once, on stop(). */
  private stopping = new AbortController();

  constructor(private readonly options: EventRelayOptions) {
    this.outage = new Outage(options.log);
  }

  /** Starts publishing in the background (again, after stop()). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.unsubscribe = onOutboxWritten(() => {
      this.nudged = true;
      this.idle.end();
    });
    this.loop = this.run();
  }

  /** Stops; resolves once the batch in hand is confirmed and marked (or abandoned: it is published again later). */
  async stop(): Promise<void> {
    if (!this.running) return this.loop ?? undefined;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.idle.end();
    this.stopping.abort();
    await this.loop;
  }

  status(): RelayStatus {
    return {
      mode: 'amqp',
      running: this.running,
      connected: this.connected,
      broker: redactAmqpUrl(this.options.settings.url),
      exchange: this.options.settings.exchange,
      published: this.published,
      lastPublishedSequence: this.lastPublishedSequence,
      unroutable: Object.fromEntries(this.unroutable),
    };
  }

  private async run(): Promise<void> {
    // After a working connection drops, the first reconnection waits too: a broker that is down is not hammered.
    let reconnecting = false;
    while (this.running) {
      const opened = await retryUntilStopped(() => this.openOrClose(), {
        firstDelayMs: this.options.settings.relayPollMs,
        maxDelayMs: this.options.maxBackoffMs ?? 30_000,
        signal: this.stopping.signal,
        delayFirstAttempt: reconnecting,
        onFailure: (error) => this.outageBegan(error),
      });
      if (!opened) break;
      this.outage.ended({ subgraph: this.options.subgraph }, 'event relay: broker reachable again');
      try {
        while (this.running) {
          this.nudged = false;
          const count = await this.publishBatch(opened.value);
          // Idle: wait for the next poll, or for a write of this process to commit (then look at once).
          const caughtUp = count < this.options.settings.relayBatch && this.running && !this.nudged;
          if (caughtUp) await this.idle.for(this.options.settings.relayPollMs);
        }
      } catch (error) {
        this.outageBegan(error);
        reconnecting = true;
      }
      await this.close();
    }
    // A connection opened while stopping.
    await this.close();
  }

  private outageBegan(error: unknown): void {
    const fields = { subgraph: this.options.subgraph, err: error };
    this.outage.began(fields, 'event relay: cannot publish events; retrying with backoff');
  }

  /** Opens a channel; a half-open connection is closed before the next attempt. */
  private async openOrClose(): Promise<ConfirmChannel> {
    try {
      return await this.open();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private async open(): Promise<ConfirmChannel> {
    const connection = await connect(this.options.settings.url);
    this.connection = connection;
    connection.on('error', () => {
      // 'close' follows; the publishing loop fails and reconnects.
    });
    connection.on('close', () => {
      this.connected = false;
    });
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {
      // The connection (or the next publish) reports it.
    });
    // Published as mandatory: the broker returns a message no queue is bound for, instead of
    // dropping it silently. It is still confirmed (and marked): said once per routing key.
    channel.on('return', (message: { fields: { routingKey: string } }) => {
      const key = message.fields.routingKey;
      const seen = this.unroutable.get(key) ?? 0;
      this.unroutable.set(key, seen + 1);
      if (seen === 0) {
        this.options.log.warn(
          { subgraph: this.options.subgraph, routingKey: key, exchange: this.options.settings.exchange },
          'event relay: no queue is bound for these events; the broker drops them (they stay in the feed: a new consumer reads it from the start; for an existing one, run events:rebuild)',
        );
      }
    });
    await channel.assertExchange(this.options.settings.exchange, 'topic', { durable: true });
    this.connected = true;
    return channel;
  }

  private async close(): Promise<void> {
    this.connected = false;
    const connection = this.connection;
    this.connection = null;
    await closeAmqpConnection(connection);
  }

  /** Publishes one batch, waits for the broker's confirms, then marks it; returns how many rows it read. */
  private async publishBatch(channel: ConfirmChannel): Promise<number> {
    const rows = await readUnpublished(this.options.db, this.options.subgraph, this.options.settings.relayBatch);
    if (rows.length === 0) return 0;
    const events = rows
      .map(toCloudEvent)
      .filter((event): event is CloudEvent => event !== null)
      .map((event) => this.options.signer.sign(event));
    for (const event of events) {
      channel.publish(this.options.settings.exchange, event.type, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        mandatory: true,
        contentType: 'application/cloudevents+json',
        messageId: event.id,
        type: event.type,
        timestamp: Math.floor(Date.parse(event.time) / 1000),
        appId: this.options.subgraph,
      });
    }
    // Rejects when the broker refuses (nacks) any of them: nothing is marked, all are published again.
    await channel.waitForConfirms();
    const ids = rows.map((row) => row.id);
    await this.options.db
      .$executeRaw`UPDATE audit_event SET published_at = now() WHERE id = ANY(${ids}::uuid[]) AND published_at IS NULL`;
    this.published += rows.length;
    this.lastPublishedSequence = BigInt(rows.at(-1)!.sequence).toString();
    return rows.length;
  }
}

/** How long closing a broker connection may take: a connection whose peer is gone never answers its close. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Closes a connection, never throwing, and never waiting more than CLOSE_TIMEOUT_MS (the socket is destroyed then). */
export async function closeAmqpConnection(connection: ChannelModel | null): Promise<void> {
  if (!connection) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
  });
  const outcome = await Promise.race([
    connection.close().then(
      () => 'closed' as const,
      () => 'closed' as const,
    ),
    timedOut,
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout')
    (connection as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
