import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '../../../common/config/service';

export const CAR_SUBGRAPH: SubgraphConfigSpec = {
  name: 'car',
  envPrefix: 'CAR',
  defaultPort: 4001,
  dataFolder: 'car',
  peers: ['cost-center'],
  defaultSchema: 'car',
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => subgraphConfigFromEnv(CAR_SUBGRAPH, env);
