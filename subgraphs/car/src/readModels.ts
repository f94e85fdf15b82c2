import type { SubgraphHooks } from '@car-check/subgraph-kit';
import {
  COST_CENTER_REPLICA,
  costCenterReplicaConsumer,
  rebuildCostCenterReplica,
  redriveCostCenterReplica,
} from './costCenterReplica';
import type { PrismaClient } from './prisma';

/** What the car subgraph's set-up builds (BootedSubgraph.services). */
export interface CarServices {
  costCenterReplica: ReturnType<typeof costCenterReplicaConsumer>;
}

/**
 * The car subgraph's read model, the replica of the cost centers (for `cars(filter: { costCenterCode,
 * societyName, managerId })`): kept up to date from the cost-center subgraph's event feed while the
 * subgraph runs, and rebuilt or redriven on demand.
 */
export const readModelHooks: SubgraphHooks<PrismaClient, CarServices> = {
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
};
