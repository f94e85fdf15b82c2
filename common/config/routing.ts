import { subgraphRegistration } from './registry';

/**
 * The routing URL of a subgraph as supergraph.yaml declares it: the one place
 * default addresses are written down, shared by the gateway and by subgraphs
 * that call one another.
 */
export function routingUrlOf(subgraph: string, configPath?: string): string {
  return subgraphRegistration(subgraph, configPath).routingUrl;
}

const variablePrefix = (subgraph: string) => subgraph.toUpperCase().replace(/-/g, '_');

/** Environment variable overriding where a subgraph is reached, e.g. COST_CENTER_SUBGRAPH_URL. */
export function subgraphUrlVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_SUBGRAPH_URL`;
}

/** Environment variable setting the port a subgraph listens on, e.g. COST_CENTER_PORT. */
export function subgraphPortVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_PORT`;
}

/** Environment variable overriding the gateway's deadline for one subgraph, e.g. CAR_SUBGRAPH_TIMEOUT_MS. */
export function subgraphTimeoutVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_SUBGRAPH_TIMEOUT_MS`;
}
