import path from 'node:path';
import { subgraphPackageFiles } from '@car-check/service-kit';
import { defineSubgraph } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { rebuildReportModel, redriveReportModel } from './readModel/consumers';
import { resolvers } from './resolvers';
import { seed } from './seed';
import { reportServices, type ReportServices } from './services';

/** The report subgraph: its SDL, resolvers and read model, and the consumers that keep it up to date. */
export const reportSubgraph = defineSubgraph({
  // Its SDL and migrations, where package.json declares them (the same from src/ and from dist/).
  ...subgraphPackageFiles(path.join(__dirname, '..')),
  resolvers,
  createPrisma,
  createContext,
  seed,
  // Consumers of the owners' events (feed or broker), applying them to the read model.
  setup: async ({ prisma, log, config, signingSecret, metrics }) => {
    const services: ReportServices = reportServices({ prisma, log, config, signingSecret, metrics });
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
});
