import path from 'node:path';
import { subgraphPackageFiles } from '@car-check/service-kit';
import { defineSubgraph } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';
import { webhookServices, type WebhookServices } from './services';

/** The webhook subgraph: its SDL, resolvers and data, and the delivery that runs while it serves. */
export const webhookSubgraph = defineSubgraph({
  // Its SDL and migrations, where package.json declares them (the same from src/ and from dist/).
  ...subgraphPackageFiles(path.join(__dirname, '..')),
  resolvers,
  createPrisma,
  createContext,
  seed,
  // Consumers of the owners' events (feed or broker) and the dispatcher that sends the deliveries.
  setup: async ({ prisma, log, config, signingSecret, metrics }) => {
    const services: WebhookServices = webhookServices({ prisma, log, config, signingSecret, metrics });
    for (const consumer of services.consumers) consumer.start();
    services.dispatcher.start();
    return {
      services,
      stop: async () => {
        await Promise.all(services.consumers.map((consumer) => consumer.stop()));
        await services.dispatcher.stop();
      },
      status: () => ({
        consumers: Object.fromEntries(services.consumers.map((consumer) => [consumer.name, consumer.status()])),
        dispatcher: services.dispatcher.status(),
      }),
    };
  },
});
