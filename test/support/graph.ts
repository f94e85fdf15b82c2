import { listen } from '../../common/server/http';
import { loadGatewayConfig, SUBGRAPH_URL_VARIABLES } from '../../gateway/src/config';
import { buildGateway } from '../../gateway/src/server';
import type { Backend } from './config';
import { createTestDatabases } from './databases';
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
  stop(): Promise<void>;
}

/**
 * Starts the whole graph as a client meets it: three subgraphs and the gateway,
 * each on a free port, on fresh databases of the given backend.
 */
export async function startGraph(backend: Backend, options: { seed?: boolean } = {}): Promise<TestGraph> {
  const databases = await createTestDatabases(backend);
  const started: TestSubgraph[] = [];
  try {
    const names = Object.keys(SUBGRAPHS) as SubgraphName[];
    // Filled in once every subgraph listens; subgraphs look their peers up on first use.
    const peers: Record<string, string> = {};
    const subgraphs = Object.fromEntries(
      await Promise.all(
        names.map(async (name) => {
          const subgraph = await startSubgraph(name, databases.target(SUBGRAPHS[name].spec.defaultSchema), {
            ...options,
            peers,
          });
          started.push(subgraph);
          return [name, subgraph] as const;
        }),
      ),
    ) as Record<SubgraphName, TestSubgraph>;

    for (const name of names) peers[name] = subgraphs[name].graphqlUrl;

    const env: NodeJS.ProcessEnv = { GATEWAY_PORT: '0', NODE_ENV: 'test' };
    for (const name of names) env[SUBGRAPH_URL_VARIABLES[name]] = subgraphs[name].graphqlUrl;
    const gateway = await buildGateway(loadGatewayConfig(env), silentLogger('gateway'));
    const running = await listen(gateway.app, '127.0.0.1', 0);
    const gatewayUrl = `${running.url}/graphql`;

    return {
      gatewayUrl,
      subgraphs,
      query: (query, variables, headers) => postGraphQL(gatewayUrl, { query, variables }, headers),
      async stop() {
        await running.close();
        await gateway.apollo.stop();
        await Promise.all(started.map((subgraph) => subgraph.stop()));
        await databases.drop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((subgraph) => subgraph.stop().catch(() => undefined)));
    await databases.drop().catch(() => undefined);
    throw error;
  }
}
