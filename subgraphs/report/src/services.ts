import type { ConsumerSql, FeedConsumer } from '@car-check/events';
import type { Logger, ServiceMetrics } from '@car-check/service-kit';
import type { SubgraphConfig } from '@car-check/subgraph-kit';
import { EVENT_OWNERS } from './config';
import { consumerName, reportConsumer } from './readModel/consumers';
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
