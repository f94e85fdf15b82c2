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

/** Environment variable naming a subgraph's own PostgreSQL database, e.g. COST_CENTER_DATABASE_URL (wins over DATABASE_URL). */
export function subgraphDatabaseUrlVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_DATABASE_URL`;
}

/** Environment variable naming a subgraph's PostgreSQL schema, e.g. COST_CENTER_DATABASE_SCHEMA. */
export function subgraphDatabaseSchemaVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_DATABASE_SCHEMA`;
}

/** Environment variable overriding the gateway's deadline for one subgraph, e.g. CAR_SUBGRAPH_TIMEOUT_MS. */
export function subgraphTimeoutVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_SUBGRAPH_TIMEOUT_MS`;
}

/** Environment variable holding the PEM Ed25519 private key a subgraph signs its own events with, e.g. COST_CENTER_EVENTS_PRIVATE_KEY. */
export function subgraphEventsPrivateKeyVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_EVENTS_PRIVATE_KEY`;
}

/** Environment variable holding the PEM Ed25519 public key(s) that verify a subgraph's events, e.g. COST_CENTER_EVENTS_PUBLIC_KEY. */
export function subgraphEventsPublicKeyVariable(subgraph: string): string {
  return `${variablePrefix(subgraph)}_EVENTS_PUBLIC_KEY`;
}
