import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/common';

export const USER_SUBGRAPH: SubgraphConfigSpec = {
  name: 'user',
  envPrefix: 'USER',
  dataFolder: 'user',
  peers: [],
  defaultSchema: 'users',
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => subgraphConfigFromEnv(USER_SUBGRAPH, env);
