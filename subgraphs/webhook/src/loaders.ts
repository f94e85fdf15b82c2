import { byIdLoader } from '@car-check/subgraph-kit';
import type { WebhookDelivery, WebhookEndpoint } from './__generated__/prisma/client';
import type { PrismaClient } from './prisma';

export type Loaders = ReturnType<typeof createLoaders>;

/** Per-request loaders: every lookup of a request shares one batch per kind. */
export function createLoaders(prisma: PrismaClient) {
  return {
    endpointById: byIdLoader<WebhookEndpoint>((ids) =>
      prisma.webhookEndpoint.findMany({ where: { id: { in: [...ids] } } }),
    ),
    deliveryById: byIdLoader<WebhookDelivery>((ids) =>
      prisma.webhookDelivery.findMany({ where: { id: { in: [...ids] } } }),
    ),
  };
}
