import {
  AmqpConsumer,
  amqpSettingsFromEnv,
  type ConsumerSql,
  consumerSettingsFromEnv,
  eventVerifierFromEnv,
  FeedConsumer,
  feedUrlOf,
  redriveDeadLetters,
  type RedriveReport,
  replayFeed,
  type ReplayReport,
} from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { SubgraphConfig } from '@car-check/subgraph-kit';
import { EVENT_OWNERS, type EventOwner } from '../config';
import type { PrismaClient } from '../prisma';
import { applyReportEvent, resetOwner } from './store';

export interface ConsumerDeps {
  prisma: PrismaClient;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
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

function transaction(prisma: PrismaClient) {
  return <R>(work: (tx: ConsumerSql) => Promise<R>, options?: { timeoutMs?: number }): Promise<R> =>
    prisma.$transaction((tx) => work(tx), { maxWait: 10_000, timeout: options?.timeoutMs ?? 30_000 });
}

/** Where an owner's feed is (read on every poll: tests fill peers in late) and whose key signs it. */
function feedSource(owner: EventOwner, { config, signingSecret }: Pick<ConsumerDeps, 'config' | 'signingSecret'>) {
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

/**
 * One consumer per owner (car, cost-center, user), the machinery of the other read models: the
 * owner's signed feed by default, a durable queue bound to `<owner>.*` when AMQP_URL is set. Each
 * event is verified with the owner's key before it is applied.
 */
export function reportConsumer(owner: EventOwner, deps: ConsumerDeps): FeedConsumer<ConsumerSql> {
  const settings = consumerSettingsFromEnv(deps.config.env);
  const amqp = amqpSettingsFromEnv(deps.config.env);
  const options = {
    ...feedSource(owner, deps),
    name: consumerName(owner),
    db: deps.prisma,
    transaction: transaction(deps.prisma),
    apply: applyReportEvent,
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

/**
 * Rebuilds the read model from the owners' full feeds, one owner after the other, each in one
 * transaction (see replayFeed): readers keep the old figures of an owner until its new ones commit.
 */
export async function rebuildReportModel(
  deps: Pick<ConsumerDeps, 'prisma' | 'config' | 'signingSecret'>,
): Promise<Record<string, ReplayReport>> {
  const reports: Record<string, ReplayReport> = {};
  for (const owner of EVENT_OWNERS) {
    reports[consumerName(owner)] = await replayFeed<ConsumerSql>({
      ...feedSource(owner, deps),
      name: consumerName(owner),
      transaction: transaction(deps.prisma),
      apply: applyReportEvent,
      reset: (tx) => resetOwner(tx, owner),
    });
  }
  return reports;
}

/** Applies the consumers' dead letters again, once their cause is fixed; only those their owner signed. */
export async function redriveReportModel(
  deps: Pick<ConsumerDeps, 'prisma' | 'config' | 'signingSecret'>,
): Promise<Record<string, RedriveReport>> {
  const reports: Record<string, RedriveReport> = {};
  for (const owner of EVENT_OWNERS) {
    reports[consumerName(owner)] = await redriveDeadLetters<ConsumerSql>({
      name: consumerName(owner),
      db: deps.prisma,
      transaction: transaction(deps.prisma),
      apply: applyReportEvent,
      verifier: feedSource(owner, deps).verifier,
    });
  }
  return reports;
}
