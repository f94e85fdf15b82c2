import {
  type ConsumerSql,
  type FeedConsumer,
  redriveDeadLetters,
  type RedriveReport,
  replayFeed,
  type ReplayReport,
} from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import {
  consumerTransaction,
  ownerConsumerNames,
  ownerEventConsumer,
  ownerFeedSource,
  type OwnerEventsReader,
} from '@car-check/subgraph-kit';
import { EVENT_OWNERS, type EventOwner } from '../config';
import type { PrismaClient } from '../prisma';
import { applyReportEvent, applyReportEvents, resetOwner } from './store';

export interface ConsumerDeps extends OwnerEventsReader {
  prisma: PrismaClient;
  log: Logger;
  registry?: ServiceMetrics['registry'];
}

/** The consumer of one owner's events (`report-<owner>`) and its queue in the broker mode. */
export const { name: consumerName, queue: consumerQueue } = ownerConsumerNames('report');

/**
 * One consumer per owner (car, cost-center, user), the machinery of the other read models: the
 * owner's signed feed by default, a durable queue bound to `<owner>.*` when AMQP_URL is set. Each
 * event is verified with the owner's key before it is applied; a page of the feed is applied in one
 * transaction (applyReportEvents), event by event only when that page holds an event it refuses.
 */
export function reportConsumer(owner: EventOwner, deps: ConsumerDeps): FeedConsumer<ConsumerSql> {
  return ownerEventConsumer({
    ...deps,
    owner,
    name: consumerName(owner),
    apply: applyReportEvent,
    // A page of the feed in one transaction: ingest costs a few statements a page, not ~10 an event.
    applyBatch: applyReportEvents,
    queue: (eventsQueue) => consumerQueue(owner, eventsQueue),
  });
}

/** Runs a command of the read model for each owner in turn, its report under the owner's consumer name. */
async function perOwner<R>(run: (owner: EventOwner) => Promise<R>): Promise<Record<string, R>> {
  const reports: Record<string, R> = {};
  for (const owner of EVENT_OWNERS) reports[consumerName(owner)] = await run(owner);
  return reports;
}

/**
 * Rebuilds the read model from the owners' full feeds, one owner after the other, each in one
 * transaction (see replayFeed): readers keep the old figures of an owner until its new ones commit.
 */
export const rebuildReportModel = (
  deps: OwnerEventsReader & { prisma: PrismaClient },
): Promise<Record<string, ReplayReport>> =>
  perOwner((owner) =>
    replayFeed<ConsumerSql>({
      ...ownerFeedSource(owner, deps),
      name: consumerName(owner),
      transaction: consumerTransaction(deps.prisma),
      apply: applyReportEvent,
      applyBatch: applyReportEvents,
      reset: (tx) => resetOwner(tx, owner),
    }),
  );

/** Applies the consumers' dead letters again, once their cause is fixed; only those their owner signed. */
export const redriveReportModel = (
  deps: OwnerEventsReader & { prisma: PrismaClient },
): Promise<Record<string, RedriveReport>> =>
  perOwner((owner) =>
    redriveDeadLetters<ConsumerSql>({
      name: consumerName(owner),
      db: deps.prisma,
      transaction: consumerTransaction(deps.prisma),
      apply: applyReportEvent,
      verifier: ownerFeedSource(owner, deps).verifier,
    }),
  );
