import type { Backend } from './config';
import { createTestDatabases } from './databases';
import { postGraphQL, type GraphQLResponse } from './graphql';
import { startSubgraph, SUBGRAPHS, type SubgraphName, type TestSubgraph } from './subgraphs';

export interface SubgraphUnderTest {
  subgraph: TestSubgraph;
  /** Sends a query straight to the subgraph, bypassing the gateway. */
  query<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

/** Starts one subgraph alone, on a fresh database of `backend`: its own tests need nothing else. */
export async function startSubgraphUnderTest(
  name: SubgraphName,
  backend: Backend,
  options: { seed?: boolean } = {},
): Promise<SubgraphUnderTest> {
  const databases = await createTestDatabases(backend);
  try {
    const subgraph = await startSubgraph(name, databases.target(SUBGRAPHS[name].spec.defaultSchema), options);
    return {
      subgraph,
      query: (query, variables) => postGraphQL(subgraph.graphqlUrl, { query, variables }),
      async stop() {
        await subgraph.stop();
        await databases.drop();
      },
    };
  } catch (error) {
    await databases.drop().catch(() => undefined);
    throw error;
  }
}
