import path from 'node:path';
import { subgraphPackageFiles } from '@car-check/service-kit';
import { defineSubgraph } from '@car-check/subgraph-kit';
import { createContext } from './context';
import {
  COST_CENTER_REPLICA,
  costCenterReplicaConsumer,
  rebuildCostCenterReplica,
  redriveCostCenterReplica,
} from './costCenterReplica';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** The car subgraph: its SDL, resolvers and data, ready to boot or test. */
export const carSubgraph = defineSubgraph({
  // Its SDL and migrations, where package.json declares them (the same from src/ and from dist/).
  ...subgraphPackageFiles(path.join(__dirname, '..')),
  resolvers,
  createPrisma,
  createContext,
  seed,
  // The replica of the cost centers (for `cars(filter: { costCenterCode, societyName, managerId })`),
  // kept up to date from the cost-center subgraph's event feed while the subgraph runs.
  setup: async ({ prisma, log, config, signingSecret, metrics }) => {
    const costCenterReplica = costCenterReplicaConsumer({
      prisma,
      log,
      config,
      signingSecret,
      registry: metrics.registry,
    });
    costCenterReplica.start();
    return {
      services: { costCenterReplica },
      stop: () => costCenterReplica.stop(),
      status: () => ({ consumers: { [costCenterReplica.name]: costCenterReplica.status() } }),
    };
  },
  rebuildReadModels: async (deps) => ({ [COST_CENTER_REPLICA]: await rebuildCostCenterReplica(deps) }),
  redriveDeadLetters: async (deps) => ({ [COST_CENTER_REPLICA]: await redriveCostCenterReplica(deps) }),
});

/** What the car subgraph's set-up builds (BootedSubgraph.services). */
export interface CarServices {
  costCenterReplica: ReturnType<typeof costCenterReplicaConsumer>;
}
