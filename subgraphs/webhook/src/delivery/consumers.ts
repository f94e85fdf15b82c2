import { type ConsumerSql, type EventHandler, type FeedConsumer, inTurn } from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import { ownerConsumerNames, ownerEventConsumer, type SubgraphConfig } from '@car-check/subgraph-kit';
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

/** The consumer of one owner's events (`webhook-<owner>`) and its queue in the broker mode. */
export const { name: consumerName, queue: consumerQueue } = ownerConsumerNames('webhook');

/**
 * One consumer per owner (car, cost-center, user), the same machinery as the car's
 * replica: the owner's signed feed by default, a durable queue bound to `<owner>.*` when
 * AMQP_URL is set. Each event is verified with the owner's key before it is stored.
 */
export function eventConsumer(owner: string, deps: ConsumerDeps): FeedConsumer<ConsumerSql> {
  const apply: EventHandler<ConsumerSql> = async (tx, event) => {
    const queued = await storeEvent(tx, event, deps.clock.now());
    if (queued > 0 && deps.onQueued) setTimeout(deps.onQueued, 0);
  };
  return ownerEventConsumer({
    ...deps,
    owner,
    name: consumerName(owner),
    apply,
    // A page in one transaction, its events stored in turn (one that refuses sends the page event by event).
    applyBatch: inTurn(apply),
    queue: (eventsQueue) => consumerQueue(owner, eventsQueue),
  });
}
