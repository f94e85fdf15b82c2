import {
  AmqpConsumer,
  amqpSettingsFromEnv,
  type ConsumerSql,
  consumerSettingsFromEnv,
  eventVerifierFromEnv,
  FeedConsumer,
  feedUrlOf,
} from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { SubgraphConfig } from '@car-check/subgraph-kit';
import type { PrismaClient } from '../prisma';
import type { DeliveryClock } from './clock';
import { storeEvent } from './ingest';

export interface ConsumerDeps {
  prisma: PrismaClient;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
  clock: DeliveryClock;
  registry?: ServiceMetrics['registry'];
  /** Called after an event queued deliveries (the dispatcher looks at once rather than at its next poll). */
  onQueued?: () => void;
}

/** The consumer of one owner's events: its cursor, dead letters and metrics label. */
export const consumerName = (owner: string): string => `webhook-${owner}`;

/**
 * The durable queue of one owner's events in the broker mode: `car-check.webhook.<owner>`, or
 * `<EVENTS_QUEUE>.webhook-<owner>` when EVENTS_QUEUE names a run's own queues (tests, benchmarks),
 * so that whoever made them can delete them.
 */
export const consumerQueue = (owner: string, eventsQueue?: string): string =>
  eventsQueue ? `${eventsQueue}.webhook-${owner}` : `car-check.webhook.${owner}`;

function transaction(prisma: PrismaClient) {
  return <R>(work: (tx: ConsumerSql) => Promise<R>, options?: { timeoutMs?: number }): Promise<R> =>
    prisma.$transaction((tx) => work(tx), { maxWait: 10_000, timeout: options?.timeoutMs ?? 30_000 });
}

/**
 * One consumer per owner (car, cost-center, user), the same machinery as the car's
 * replica: the owner's signed feed by default, a durable queue bound to `<owner>.*` when
 * AMQP_URL is set. Each event is verified with the owner's key before it is stored.
 */
export function eventConsumer(owner: string, deps: ConsumerDeps): FeedConsumer<ConsumerSql> {
  const { config, signingSecret, prisma } = deps;
  const settings = consumerSettingsFromEnv(config.env);
  const amqp = amqpSettingsFromEnv(config.env);
  const options = {
    owner,
    feedUrl: () => {
      const url = config.peers[owner];
      return url ? feedUrlOf(url) : undefined;
    },
    signer: { service: config.name, secret: signingSecret },
    verifier: eventVerifierFromEnv(owner, config.env, config.production, signingSecret),
    name: consumerName(owner),
    db: prisma,
    transaction: transaction(prisma),
    apply: async (tx: ConsumerSql, event: Parameters<typeof storeEvent>[1]) => {
      const queued = await storeEvent(tx, event, deps.clock.now());
      if (queued > 0 && deps.onQueued) setTimeout(deps.onQueued, 0);
    },
    log: deps.log,
    registry: deps.registry,
    settings,
    timeoutMs: settings.timeoutMs,
  };
  if (amqp) {
    return new AmqpConsumer<ConsumerSql>({
      ...options,
      amqp: { ...amqp, queue: consumerQueue(owner, amqp.queue), bindings: [`${owner}.*`] },
    });
  }
  return new FeedConsumer<ConsumerSql>(options);
}
