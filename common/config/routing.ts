import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const SUPERGRAPH_CONFIG = path.resolve(__dirname, '..', '..', 'supergraph.yaml');

/** The subgraphs of this repo, as named in supergraph.yaml and under prisma/ and subgraphs/. */
export const SUBGRAPH_NAMES = ['car', 'cost-center', 'user'] as const;

export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/**
 * The routing URL of a subgraph as supergraph.yaml declares it: the one place
 * default addresses are written down, shared by the gateway and by subgraphs
 * that call one another.
 */
export function routingUrlOf(subgraph: string, configPath = SUPERGRAPH_CONFIG): string {
  const config = parse(readFileSync(configPath, 'utf8')) as { subgraphs?: Record<string, { routing_url?: unknown }> };
  const url = config.subgraphs?.[subgraph]?.routing_url;
  if (typeof url !== 'string') throw new Error(`${configPath} has no routing_url for subgraph "${subgraph}".`);
  return url;
}

const variablePrefix = (subgraph: string) => subgraph.toUpperCase().replace(/-/g, '_');

/** Environment variable overriding where a subgraph is reached, e.g. COST_CENTER_SUBGRAPH_URL. */
export function subgraphUrlVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_SUBGRAPH_URL`;
}

/** Environment variable overriding the gateway's deadline for one subgraph, e.g. CAR_SUBGRAPH_TIMEOUT_MS. */
export function subgraphTimeoutVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_SUBGRAPH_TIMEOUT_MS`;
}
