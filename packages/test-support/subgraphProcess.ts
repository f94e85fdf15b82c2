import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  subgraphDatabaseSchemaVariable,
  subgraphDatabaseUrlVariable,
  subgraphNames,
  subgraphPortVariable,
  subgraphUrlVariable,
} from '@car-check/service-kit';
import { freePort } from '../../benchmarks/lib/processGraph';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import type { TestGraph } from './graph';
import { TEST_ENV } from './secrets';
import { subgraphUnderTest, type SubgraphName } from './subgraphs';

const ROOT = path.resolve(__dirname, '..', '..');

/** A subgraph running as a process of its own, which a test can kill as a crash would (SIGKILL). */
export interface SubgraphProcess {
  url: string;
  /** SIGKILL: no shutdown hook runs, nothing in hand is finished or acknowledged. */
  kill(): Promise<void>;
  /** SIGTERM, waiting for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * Another instance of one of the test graph's subgraphs, as its own process
 * on the same PostgreSQL database and schema (an in-memory PGlite cannot be
 * shared between processes), from its entry point, seeing the graph's peers.
 */
export async function startSubgraphProcess(
  graph: TestGraph,
  name: SubgraphName,
  env: NodeJS.ProcessEnv = {},
  /** Where it listens (a restart after a kill takes its predecessor's); a free port by default. */
  port?: number,
): Promise<SubgraphProcess> {
  const { config } = graph.subgraphs[name as keyof TestGraph['subgraphs']];
  if (config.database.kind !== 'postgres') throw new Error('a subgraph process needs the PostgreSQL backend');
  const { spec, registration } = subgraphUnderTest(name);
  port ??= await freePort();
  const peers = Object.fromEntries(
    subgraphNames().map((peer) => [
      subgraphUrlVariable(peer),
      graph.subgraphs[peer as keyof TestGraph['subgraphs']].graphqlUrl,
    ]),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(registration.packageDir, 'src', 'index.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        ...TEST_ENV,
        LOG_LEVEL: 'error',
        ...peers,
        [subgraphDatabaseUrlVariable(spec.name)]: config.database.url,
        [subgraphDatabaseSchemaVariable(spec.name)]: config.database.schema,
        [subgraphPortVariable(name)]: String(port),
        ...env,
      },
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForHealthy(`${url}/ready`, 60_000),
    exited.then(() => {
      throw new Error(`the ${name} subgraph process exited during start-up`);
    }),
  ]);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
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
