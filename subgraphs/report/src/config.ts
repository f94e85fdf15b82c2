import { consumerSettingsFromEnv } from '@car-check/events';
import {
  eventReaderSpec,
  subgraphConfigFromEnv,
  type SubgraphConfig,
  type SubgraphConfigSpec,
} from '@car-check/subgraph-kit';

/** The subgraphs whose events the read model is made of. */
export const EVENT_OWNERS = ['car', 'cost-center', 'user'] as const;
export type EventOwner = (typeof EVENT_OWNERS)[number];

// It calls no subgraph synchronously; it reads the owners' event feeds (see readModel/consumers.ts).
export const REPORT_SUBGRAPH: SubgraphConfigSpec = eventReaderSpec('report', EVENT_OWNERS);

/** The subgraph's settings; its consumers' settings are checked too (a mistake stops the start). */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => {
  const config = subgraphConfigFromEnv(REPORT_SUBGRAPH, env);
  consumerSettingsFromEnv(env);
  return config;
};
