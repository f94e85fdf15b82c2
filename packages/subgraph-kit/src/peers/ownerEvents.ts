import {
  AmqpConsumer,
  amqpSettingsFromEnv,
  type BatchHandler,
  type ConsumerSql,
  consumerSettingsFromEnv,
  type ConsumerTransaction,
  type EventHandler,
  eventVerifierFromEnv,
  FeedConsumer,
  type FeedSource,
  feedUrlOf,
} from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { SubgraphConfig } from '../config/service';

/** A subgraph's Prisma client, as far as a consumer of another subgraph's events uses it. */
export interface ConsumerDatabase extends ConsumerSql {
  $transaction<R>(work: (tx: ConsumerSql) => Promise<R>, options: { maxWait: number; timeout: number }): Promise<R>;
}

/** Who reads an owner's events: this subgraph's configuration (its peers' URLs) and signing secret. */
export interface OwnerEventsReader {
  config: SubgraphConfig;
  signingSecret: Buffer;
}

/**
 * An owner's signed feed as this subgraph reads it: at the same origin as the owner's GraphQL
 * URL (read on every poll: tests fill peers in late), requests signed as this service, every
 * event checked with the owner's key (`<OWNER>_EVENTS_PUBLIC_KEY`; derived in development).
 */
export function ownerFeedSource(owner: string, { config, signingSecret }: OwnerEventsReader): FeedSource {
  return {
    owner,
    feedUrl: () => {
      const url = config.peers[owner];
      return url ? feedUrlOf(url) : undefined;
    },
    signer: { service: config.name, secret: signingSecret },
    verifier: eventVerifierFromEnv(owner, config.env, config.production, signingSecret),
  };
}

/** One transaction per event, bounded by the consumer's timeout (30 s unless it says otherwise). */
export const consumerTransaction =
  (prisma: ConsumerDatabase): ConsumerTransaction<ConsumerSql> =>
  (work, options) =>
    prisma.$transaction((tx) => work(tx), { maxWait: 10_000, timeout: options?.timeoutMs ?? 30_000 });

/**
 * How a subgraph that reads other subgraphs' events names its consumer of each owner: `<reader>-<owner>`
 * (its cursor, dead letters, log lines, metrics label) and, in the broker mode, its durable queue
 * `car-check.<reader>.<owner>`, or `<EVENTS_QUEUE>.<reader>-<owner>` when EVENTS_QUEUE names a run's own
 * queues (tests, benchmarks), so that whoever made them can delete them.
 */
export function ownerConsumerNames(reader: string) {
  return {
    name: (owner: string): string => `${reader}-${owner}`,
    queue: (owner: string, eventsQueue?: string): string =>
      eventsQueue ? `${eventsQueue}.${reader}-${owner}` : `car-check.${reader}.${owner}`,
  };
}

export interface OwnerEventConsumerOptions extends OwnerEventsReader {
  owner: string;
  /** Names the cursor, the dead letters, log lines and the metrics' `consumer` label. */
  name: string;
  prisma: ConsumerDatabase;
  apply: EventHandler<ConsumerSql>;
  /** Applies a page of the feed in one transaction (see FeedConsumerOptions.applyBatch); the broker mode ignores it. */
  applyBatch?: BatchHandler<ConsumerSql>;
  log: Logger;
  registry?: ServiceMetrics['registry'];
  /** The durable queue of the broker mode, given EVENTS_QUEUE when it names a run's own queues. */
  queue: (eventsQueue: string | undefined) => string;
}

/**
 * The consumer of an owner's events in the mode the environment picks: polling the owner's
 * signed feed by default, or, when AMQP_URL is set, reading a durable queue bound to
 * `<owner>.*` on the events exchange (the same handler, retries and dead letters).
 */
export function ownerEventConsumer(options: OwnerEventConsumerOptions): FeedConsumer<ConsumerSql> {
  const settings = consumerSettingsFromEnv(options.config.env);
  const amqp = amqpSettingsFromEnv(options.config.env);
  const consumer = {
    ...ownerFeedSource(options.owner, options),
    name: options.name,
    db: options.prisma,
    transaction: consumerTransaction(options.prisma),
    apply: options.apply,
    applyBatch: options.applyBatch,
    log: options.log,
    registry: options.registry,
    settings,
    timeoutMs: settings.timeoutMs,
  };
  if (amqp) {
    return new AmqpConsumer<ConsumerSql>({
      ...consumer,
      amqp: { ...amqp, queue: options.queue(amqp.queue), bindings: [`${options.owner}.*`] },
    });
  }
  return new FeedConsumer<ConsumerSql>(consumer);
}
