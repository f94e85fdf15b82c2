import { consumerSettingsFromEnv } from '@car-check/events';
import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/subgraph-kit';

/** The subgraphs whose events the read model is made of. */
export const EVENT_OWNERS = ['car', 'cost-center', 'user'] as const;
export type EventOwner = (typeof EVENT_OWNERS)[number];

export const REPORT_SUBGRAPH: SubgraphConfigSpec = {
  name: 'report',
  dataFolder: 'report',
  // It calls no subgraph synchronously; it reads the owners' event feeds (see readModel/consumers.ts).
  peers: ['car', 'cost-center', 'user'],
  consumes: EVENT_OWNERS,
  defaultSchema: 'report',
};

/** The subgraph's settings; its consumers' settings are checked too (a mistake stops the start). */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => {
  const config = subgraphConfigFromEnv(REPORT_SUBGRAPH, env);
  consumerSettingsFromEnv(env);
  return config;
};
