import { ANONYMOUS, type CallerIdentity, type Logger, SCOPES } from '@car-check/service-kit';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import type { Backend } from './config';
import { createTestDatabases } from './databases';
import { openEventStream, type EventStreamReader } from './eventStream';
import { FakePeer } from './fakePeer';
import { postGraphQL, type GraphQLResponse } from './graphql';
import { signedPost } from './signing';
import { startSubgraph, subgraphUnderTest, type SubgraphName, type TestSubgraph } from './subgraphs';

/** The seeded admin, as the gateway would describe them to a subgraph. */
export const ADMIN: CallerIdentity = { ...ANONYMOUS, userId: seedUsers[0]!.id, scopes: [...SCOPES], tokenId: null };

export interface SubgraphUnderTest {
  subgraph: TestSubgraph;
  /** Stand-ins for the subgraphs it calls, by name. */
  peers: Record<string, FakePeer>;
  /** Sends a query straight to the subgraph, signed as the gateway would for `caller` (default: an admin). */
  query<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    caller?: CallerIdentity,
  ): Promise<GraphQLResponse<Data>>;
  /** Opens a subscription straight on the subgraph as the gateway would (signed, `Accept: text/event-stream`). */
  subscribe(
    query: string,
    variables?: Record<string, unknown>,
    options?: { caller?: CallerIdentity; headers?: Record<string, string> },
  ): Promise<EventStreamReader>;
  stop(): Promise<void>;
}

/**
 * Starts one subgraph alone, on a fresh database of `backend`, with fake peers
 * in place of the subgraphs it calls: its own tests need nothing else.
 */
export async function startSubgraphUnderTest(
  name: SubgraphName,
  backend: Backend,
  options: { seed?: boolean; env?: NodeJS.ProcessEnv; log?: Logger } = {},
): Promise<SubgraphUnderTest> {
  const databases = await createTestDatabases(backend);
  const peers: Record<string, FakePeer> = {};
  const peerUrls: Record<string, string> = {};
  try {
    for (const peer of subgraphUnderTest(name).spec.peers) {
      peers[peer] = new FakePeer(peer);
      peerUrls[peer] = await peers[peer].start();
    }
    const subgraph = await startSubgraph(name, databases.target(subgraphUnderTest(name).spec.defaultSchema), {
      ...options,
      peers: peerUrls,
    });
    return {
      subgraph,
      peers,
      query: async (query, variables, caller = ADMIN) => {
        const body = JSON.stringify({ query, variables });
        return postGraphQL(
          subgraph.graphqlUrl,
          body,
          await signedPost(caller, subgraph.graphqlUrl, body, { audience: name }),
        );
      },
      subscribe: async (query, variables, { caller = ADMIN, headers = {} } = {}) => {
        const body = JSON.stringify({ query, variables });
        const signature = await signedPost(caller, subgraph.graphqlUrl, body, { audience: name });
        return openEventStream(subgraph.graphqlUrl, body, { ...signature, ...headers });
      },
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
