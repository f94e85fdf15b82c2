import path from 'node:path';
import {
  subgraphDatabaseSchemaVariable,
  subgraphDatabaseUrlVariable,
  subgraphNames,
  subgraphPortVariable,
  subgraphUrlVariable,
} from '@car-check/service-kit';
import { freePort } from '../../benchmarks/lib/processGraph';
import type { TestGraph } from './graph';
import { TEST_ENV } from './secrets';
import { type ServiceProcess, startServiceProcess } from './serviceProcess';
import { subgraphUnderTest, type SubgraphName } from './subgraphs';

/** A subgraph running as a process of its own, which a test can kill as a crash would (SIGKILL). */
export interface SubgraphProcess extends ServiceProcess {
  url: string;
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
  const url = `http://127.0.0.1:${port}`;
  const service = await startServiceProcess(
    `${name} subgraph`,
    path.join(registration.packageDir, 'src', 'index.ts'),
    {
      ...process.env,
      ...TEST_ENV,
      LOG_LEVEL: 'error',
      ...peers,
      [subgraphDatabaseUrlVariable(spec.name)]: config.database.url,
      [subgraphDatabaseSchemaVariable(spec.name)]: config.database.schema,
      [subgraphPortVariable(name)]: String(port),
      ...env,
    },
    `${url}/ready`,
    60_000,
  );
  return { url, ...service };
}
