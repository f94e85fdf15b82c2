import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/subgraph-kit';

export const COST_CENTER_SUBGRAPH: SubgraphConfigSpec = {
  name: 'cost-center',
  dataFolder: 'cost-center',
  peers: ['car', 'user'],
  defaultSchema: 'cost_center',
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig =>
  subgraphConfigFromEnv(COST_CENTER_SUBGRAPH, env);
