import type { Logger } from '../../common/logging/logger';
import { listen } from '../../common/server/http';
import { loadGatewayConfig, SUBGRAPH_URL_VARIABLES } from '../../gateway/src/config';
import { buildGateway } from '../../gateway/src/server';
import type { Backend } from './config';
import { createTestDatabases, type TestDatabases } from './databases';
import { postGraphQL, type GraphQLResponse } from './graphql';
import { silentLogger, startSubgraph, SUBGRAPHS, type SubgraphName, type TestSubgraph } from './subgraphs';

export interface TestGraph {
  gatewayUrl: string;
  subgraphs: Record<SubgraphName, TestSubgraph>;
  /** Sends a query through the gateway over HTTP. */
  query<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  /** Stops one subgraph, as if it crashed; the gateway keeps running. */
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a stopped subgraph again at the same address, on the same database. */
  restartSubgraph(name: SubgraphName): Promise<void>;
  stop(): Promise<void>;
}

export interface StartGraphOptions {
  seed?: boolean;
  /** Extra gateway environment, e.g. deadlines. */
  gatewayEnv?: NodeJS.ProcessEnv;
  /** Where the gateway should reach a subgraph instead of its own address (a proxy). */
  routeThrough?: Partial<Record<SubgraphName, (subgraphUrl: string) => Promise<string>>>;
  gatewayLog?: Logger;
  /** Subgraphs that are down when the gateway starts (restart them with restartSubgraph). */
  downAtStart?: SubgraphName[];
}

/**
 * Starts the whole graph as a client meets it: three subgraphs and the gateway,
 * each on a free port, on fresh databases of the given backend.
 */
export async function startGraph(backend: Backend, options: StartGraphOptions = {}): Promise<TestGraph> {
  const databases = await createTestDatabases(backend);
  const names = Object.keys(SUBGRAPHS) as SubgraphName[];
  // Filled in once every subgraph listens; subgraphs look their peers up on first use.
  const peers: Record<string, string> = {};
  const subgraphs = {} as Record<SubgraphName, TestSubgraph>;
  const running = new Set<SubgraphName>();
  const start = async (name: SubgraphName, port?: number) => {
    subgraphs[name] = await startSubgraph(name, target(databases, name), { seed: options.seed && port === undefined, peers, port });
    running.add(name);
  };
  const stopOne = async (name: SubgraphName) => {
    if (!running.delete(name)) return;
    await subgraphs[name].stop();
  };
  try {
    await Promise.all(names.map((name) => start(name)));
    for (const name of names) peers[name] = subgraphs[name].graphqlUrl;
    await Promise.all((options.downAtStart ?? []).map(stopOne));

    const env: NodeJS.ProcessEnv = { GATEWAY_PORT: '0', NODE_ENV: 'test', ...options.gatewayEnv };
    for (const name of names) {
      const via = options.routeThrough?.[name];
      env[SUBGRAPH_URL_VARIABLES[name]] = via ? await via(subgraphs[name].graphqlUrl) : subgraphs[name].graphqlUrl;
    }
    const gateway = await buildGateway(loadGatewayConfig(env), options.gatewayLog ?? silentLogger('gateway'));
    const server = await listen(gateway.app, '127.0.0.1', 0);
    const gatewayUrl = `${server.url}/graphql`;

    return {
      gatewayUrl,
      subgraphs,
      query: (query, variables, headers) => postGraphQL(gatewayUrl, { query, variables }, headers),
      stopSubgraph: stopOne,
      restartSubgraph: (name) => start(name, Number(new URL(subgraphs[name].url).port)),
      async stop() {
        await server.close();
        await gateway.apollo.stop();
        await Promise.all(names.map(stopOne));
        await databases.drop();
      },
    };
  } catch (error) {
    await Promise.all(names.map((name) => stopOne(name).catch(() => undefined)));
    await databases.drop().catch(() => undefined);
    throw error;
  }
}

function target(databases: TestDatabases, name: SubgraphName) {
  return databases.target(SUBGRAPHS[name].spec.defaultSchema);
}
