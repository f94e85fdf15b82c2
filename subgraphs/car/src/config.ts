import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/common';

export const CAR_SUBGRAPH: SubgraphConfigSpec = {
  name: 'car',
  envPrefix: 'CAR',
  dataFolder: 'car',
  peers: ['cost-center'],
  defaultSchema: 'car',
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => subgraphConfigFromEnv(CAR_SUBGRAPH, env);
