import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '../../../common/config/service';

export const USER_SUBGRAPH: SubgraphConfigSpec = {
  name: 'user',
  envPrefix: 'USER',
  defaultPort: 4003,
  dataFolder: 'user',
  peers: [],
  defaultSchema: 'users',
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => subgraphConfigFromEnv(USER_SUBGRAPH, env);
