import type { Backend } from './config';
import { createTestDatabases } from './databases';
import { FakePeer } from './fakePeer';
import { postGraphQL, type GraphQLResponse } from './graphql';
import { startSubgraph, SUBGRAPHS, type SubgraphName, type TestSubgraph } from './subgraphs';

export interface SubgraphUnderTest {
  subgraph: TestSubgraph;
  /** Stand-ins for the subgraphs it calls, by name. */
  peers: Record<string, FakePeer>;
  /** Sends a query straight to the subgraph, bypassing the gateway. */
  query<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

/**
 * Starts one subgraph alone, on a fresh database of `backend`, with fake peers
 * in place of the subgraphs it calls: its own tests need nothing else.
 */
export async function startSubgraphUnderTest(
  name: SubgraphName,
  backend: Backend,
  options: { seed?: boolean } = {},
): Promise<SubgraphUnderTest> {
  const databases = await createTestDatabases(backend);
  const peers: Record<string, FakePeer> = {};
  const peerUrls: Record<string, string> = {};
  try {
    for (const peer of SUBGRAPHS[name].spec.peers) {
      peers[peer] = new FakePeer();
      peerUrls[peer] = await peers[peer].start();
    }
    const subgraph = await startSubgraph(name, databases.target(SUBGRAPHS[name].spec.defaultSchema), {
      ...options,
      peers: peerUrls,
    });
    return {
      subgraph,
      peers,
      query: (query, variables) => postGraphQL(subgraph.graphqlUrl, { query, variables }),
      async stop() {
        await subgraph.stop();
        await Promise.all(Object.values(peers).map((peer) => peer.stop()));
        await databases.drop();
      },
    };
  } catch (error) {
    await Promise.all(Object.values(peers).map((peer) => peer.stop().catch(() => undefined)));
    await databases.drop().catch(() => undefined);
    throw error;
  }
}
