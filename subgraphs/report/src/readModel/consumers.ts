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
  ownerEventConsumer,
  ownerFeedSource,
  type OwnerEventsReader,
} from '@car-check/subgraph-kit';
import { EVENT_OWNERS, type EventOwner } from '../config';
import type { PrismaClient } from '../prisma';
import { applyReportEvent, resetOwner } from './store';

export interface ConsumerDeps extends OwnerEventsReader {
  prisma: PrismaClient;
  log: Logger;
  registry?: ServiceMetrics['registry'];
}

/** The consumer of one owner's events: its cursor, dead letters and metrics label. */
export const consumerName = (owner: string): string => `report-${owner}`;

/**
 * The durable queue of one owner's events in the broker mode: `car-check.report.<owner>`, or
 * `<EVENTS_QUEUE>.report-<owner>` when EVENTS_QUEUE names a run's own queues (tests, benchmarks).
 */
export const consumerQueue = (owner: string, eventsQueue?: string): string =>
  eventsQueue ? `${eventsQueue}.report-${owner}` : `car-check.report.${owner}`;

/**
 * One consumer per owner (car, cost-center, user), the machinery of the other read models: the
 * owner's signed feed by default, a durable queue bound to `<owner>.*` when AMQP_URL is set. Each
 * event is verified with the owner's key before it is applied.
 */
export function reportConsumer(owner: EventOwner, deps: ConsumerDeps): FeedConsumer<ConsumerSql> {
  return ownerEventConsumer({
    ...deps,
    owner,
    name: consumerName(owner),
    apply: applyReportEvent,
    queue: (eventsQueue) => consumerQueue(owner, eventsQueue),
  });
}

/**
 * Rebuilds the read model from the owners' full feeds, one owner after the other, each in one
 * transaction (see replayFeed): readers keep the old figures of an owner until its new ones commit.
 */
export async function rebuildReportModel(
  deps: OwnerEventsReader & { prisma: PrismaClient },
): Promise<Record<string, ReplayReport>> {
  const reports: Record<string, ReplayReport> = {};
  for (const owner of EVENT_OWNERS) {
    reports[consumerName(owner)] = await replayFeed<ConsumerSql>({
      ...ownerFeedSource(owner, deps),
      name: consumerName(owner),
      transaction: consumerTransaction(deps.prisma),
      apply: applyReportEvent,
      reset: (tx) => resetOwner(tx, owner),
    });
  }
  return reports;
}

/** Applies the consumers' dead letters again, once their cause is fixed; only those their owner signed. */
export async function redriveReportModel(
  deps: OwnerEventsReader & { prisma: PrismaClient },
): Promise<Record<string, RedriveReport>> {
  const reports: Record<string, RedriveReport> = {};
  for (const owner of EVENT_OWNERS) {
    reports[consumerName(owner)] = await redriveDeadLetters<ConsumerSql>({
      name: consumerName(owner),
      db: deps.prisma,
      transaction: consumerTransaction(deps.prisma),
      apply: applyReportEvent,
      verifier: ownerFeedSource(owner, deps).verifier,
    });
  }
  return reports;
}
