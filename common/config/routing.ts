import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const SUPERGRAPH_CONFIG = path.resolve(__dirname, '..', '..', 'supergraph.yaml');

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

/** Environment variable overriding where a subgraph is reached, e.g. COST_CENTER_SUBGRAPH_URL. */
export function subgraphUrlVariable(subgraph: string): string {
  return `${subgraph.toUpperCase().replace(/-/g, '_')}_SUBGRAPH_URL`;
}
