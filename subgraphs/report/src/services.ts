import type { ConsumerSql, FeedConsumer } from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { SubgraphConfig, SubgraphHooks } from '@car-check/subgraph-kit';
import { EVENT_OWNERS } from './config';
import { consumerName, rebuildReportModel, redriveReportModel, reportConsumer } from './readModel/consumers';
import type { PrismaClient } from './prisma';

/** What the report subgraph builds once at start (BootedSubgraph.services). */
export interface ReportServices {
  /** One consumer per owner, by consumer name (`report-car`, ...). */
  consumers: Record<string, FeedConsumer<ConsumerSql>>;
}

export function reportServices(deps: {
  prisma: PrismaClient;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
  metrics: ServiceMetrics;
}): ReportServices {
  const { metrics, ...rest } = deps;
  return {
    consumers: Object.fromEntries(
      EVENT_OWNERS.map((owner) => [
        consumerName(owner),
        reportConsumer(owner, { ...rest, registry: metrics.registry }),
      ]),
    ),
  };
}

/** The consumers of the owners' events (feed or broker) that keep the read model up to date while it serves. */
export const readModelHooks: SubgraphHooks<PrismaClient, ReportServices> = {
  setup: async ({ prisma, log, config, signingSecret, metrics }) => {
    const services = reportServices({ prisma, log, config, signingSecret, metrics });
    const consumers = Object.values(services.consumers);
    for (const consumer of consumers) consumer.start();
    return {
      services,
      stop: async () => {
        await Promise.all(consumers.map((consumer) => consumer.stop()));
      },
      status: () => ({
        consumers: Object.fromEntries(consumers.map((consumer) => [consumer.name, consumer.status()])),
      }),
    };
  },
  rebuildReadModels: (deps) => rebuildReportModel(deps),
  redriveDeadLetters: (deps) => redriveReportModel(deps),
};
