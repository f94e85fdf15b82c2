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

/** The name of one of every subgraph's variables: its name in upper case, dashes as underscores, then `suffix`. */
const subgraphVariable =
  (suffix: string) =>
  (subgraph: string): string =>
    `${variablePrefix(subgraph)}_${suffix}`;

/** Environment variable overriding where a subgraph is reached, e.g. COST_CENTER_SUBGRAPH_URL. */
export const subgraphUrlVariable = subgraphVariable('SUBGRAPH_URL');

/** Environment variable setting the port a subgraph listens on, e.g. COST_CENTER_PORT. */
export const subgraphPortVariable = subgraphVariable('PORT');

/** Environment variable naming a subgraph's own PostgreSQL database, e.g. COST_CENTER_DATABASE_URL (wins over DATABASE_URL). */
export const subgraphDatabaseUrlVariable = subgraphVariable('DATABASE_URL');

/** Environment variable naming a subgraph's PostgreSQL schema, e.g. COST_CENTER_DATABASE_SCHEMA. */
export const subgraphDatabaseSchemaVariable = subgraphVariable('DATABASE_SCHEMA');

/** Environment variable overriding the gateway's deadline for one subgraph, e.g. CAR_SUBGRAPH_TIMEOUT_MS. */
export const subgraphTimeoutVariable = subgraphVariable('SUBGRAPH_TIMEOUT_MS');

/** Environment variable holding the PEM Ed25519 private key a subgraph signs its own events with, e.g. COST_CENTER_EVENTS_PRIVATE_KEY. */
export const subgraphEventsPrivateKeyVariable = subgraphVariable('EVENTS_PRIVATE_KEY');

/** Environment variable holding the PEM Ed25519 public key(s) that verify a subgraph's events, e.g. COST_CENTER_EVENTS_PUBLIC_KEY. */
export const subgraphEventsPublicKeyVariable = subgraphVariable('EVENTS_PUBLIC_KEY');
