import { freePort, portVariableOf, serviceNames, type ServiceName } from '../../benchmarks/lib/processGraph';

export interface GraphPorts {
  /** Each service's port: the gateway and every subgraph supergraph.yaml lists. */
  ports: Record<ServiceName, number>;
  /** The variables that set them (GATEWAY_PORT, CAR_PORT, ...). */
  env: Record<string, string>;
}

/**
 * A free port for every service `npm start` runs, and the variables that set them. A test
 * that starts the graph, or checks its configuration, sets them all: a service left on its
 * default port (4000-4005) collides with another suite's graph running at the same time, or
 * with a graph a person runs on the machine. Derived from supergraph.yaml, so a new subgraph
 * is covered without editing the tests.
 */
export async function freeGraphPorts(): Promise<GraphPorts> {
  const ports: Record<ServiceName, number> = {};
  const env: Record<string, string> = {};
  for (const service of serviceNames()) {
    ports[service] = await freePort();
    env[portVariableOf(service)] = String(ports[service]);
  }
  return { ports, env };
}
