import { spawn } from 'node:child_process';
import path from 'node:path';
import { subgraphUrlVariable } from '@car-check/service-kit';
import { freePort } from '../../benchmarks/lib/processGraph';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import type { TestGraph } from './graph';
import type { SubgraphName } from './subgraphs';

const ROOT = path.resolve(__dirname, '..', '..');

/** A gateway running as a process of its own (its entry point, as `npm start` runs it), which a test can kill. */
export interface GatewayProcess {
  /** Its GraphQL endpoint. */
  url: string;
  port: number;
  /** SIGKILL: no shutdown hook runs; its streams are cut, not ended. */
  kill(): Promise<void>;
  /** SIGTERM, waiting for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
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
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'gateway', 'src', 'index.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${listenOn}`;
  await Promise.race([
    waitForHealthy(`${base}/ready`, 90_000),
    exited.then(() => {
      throw new Error('the gateway process exited during start-up');
    }),
  ]);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url: `${base}/graphql`,
    port: listenOn,
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}
