import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/subgraph-kit';
import { authConfigFromEnv } from './auth/config';

export const USER_SUBGRAPH: SubgraphConfigSpec = {
  name: 'user',
  dataFolder: 'user',
  peers: [],
  defaultSchema: 'users',
};

/**
 * The subgraph's settings, its token settings checked too (JWT_PRIVATE_KEY in production):
 * `npm start`'s check and the entry point refuse a mistake before any migration runs.
 */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => {
  const config = subgraphConfigFromEnv(USER_SUBGRAPH, env);
  authConfigFromEnv(env);
  return config;
};
