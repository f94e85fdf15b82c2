import { consumerSettingsFromEnv } from '@car-check/events';
import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/subgraph-kit';

export const CAR_SUBGRAPH: SubgraphConfigSpec = {
  name: 'car',
  dataFolder: 'car',
  peers: ['cost-center'],
  consumes: ['cost-center'],
  defaultSchema: 'car',
};

/** The subgraph's settings, its replica consumer's checked too (read at its set-up, after the migrations). */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => {
  const config = subgraphConfigFromEnv(CAR_SUBGRAPH, env);
  consumerSettingsFromEnv(env);
  return config;
};
