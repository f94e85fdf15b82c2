import path from 'node:path';
import { subgraphUrlVariable } from '@car-check/service-kit';
import { freePort } from '../../benchmarks/lib/processGraph';
import type { TestGraph } from './graph';
import { type ServiceProcess, startServiceProcess } from './serviceProcess';
import type { SubgraphName } from './subgraphs';

/** A gateway running as a process of its own (its entry point, as `npm start` runs it), which a test can kill. */
export interface GatewayProcess extends ServiceProcess {
  /** Its GraphQL endpoint. */
  url: string;
  port: number;
}

/**
 * A gateway process with the test graph's configuration, in front of the graph's subgraphs or,
 * for some, of other instances (`routes`: a subgraph's GraphQL URL). `port`: where it listens
 * (a restart after a kill takes its predecessor's, so that clients reconnect to the same address).
 */
export async function startGatewayProcess(
  graph: TestGraph,
  routes: Partial<Record<SubgraphName, string>> = {},
  port?: number,
): Promise<GatewayProcess> {
  const listenOn = port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...graph.gatewayEnv,
    GATEWAY_PORT: String(listenOn),
    LOG_LEVEL: 'error',
  };
  for (const [name, url] of Object.entries(routes)) env[subgraphUrlVariable(name)] = url;
  const base = `http://127.0.0.1:${listenOn}`;
  const service = await startServiceProcess('gateway', path.join('gateway', 'src', 'index.ts'), env, `${base}/ready`);
  return { url: `${base}/graphql`, port: listenOn, ...service };
}
