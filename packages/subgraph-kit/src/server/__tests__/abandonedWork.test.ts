import { ApolloServer } from '@apollo/server';
import { ADMIN, startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import { BACKENDS } from '@car-check/test-support/config';
import { postGraphQL } from '@car-check/test-support/graphql';
import { signedPost } from '@car-check/test-support/signing';
import { waitFor } from '@car-check/test-support/waitFor';
import { graphError } from '@car-check/service-kit';
import { abandonedWorkPlugin } from '../abandonedWork';

describe('abandonedWorkPlugin', () => {
  it('stops resolving fields once the request is abandoned', async () => {
    let resolved = 0;
    const controller = new AbortController();
    const server = new ApolloServer<{ signal: AbortSignal }>({
      typeDefs: 'type Query { items: [Item!] } type Item { name: String }',
      resolvers: {
        Query: { items: () => Array.from({ length: 10_000 }, (_, i) => ({ i })) },
        Item: {
          name: ({ i }: { i: number }) => {
            resolved += 1;
            // The caller gives up while the list is being resolved.
            if (i === 10) controller.abort(graphError('DEADLINE_EXCEEDED', 'too late'));
            return `item ${i}`;
          },
        },
      },
      plugins: [abandonedWorkPlugin()],
    });
    const response = await server.executeOperation(
      { query: '{ items { name } }' },
      { contextValue: { signal: controller.signal } },
    );
    expect(resolved).toBe(11);
    const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
    expect(result?.errors?.[0]?.extensions?.code).toBe('DEADLINE_EXCEEDED');
  });
});

const backend = BACKENDS.includes('postgres') ? 'postgres' : 'pglite';

describe(`a subgraph and the gateway's deadline (${backend})`, () => {
  let car: SubgraphUnderTest;
  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', backend, { seed: true });
  }, 180_000); // starting and seeding a subgraph: seconds, many more on a loaded 2-core machine
  afterAll(async () => {
    await car?.stop();
  });

  it('does no work for a request whose deadline has passed', async () => {
    const body = JSON.stringify({ query: '{ cars(first: 5) { totalCount } }' });
    // The car's replica consumer reads its cursor once, before its first feed request: past that,
    // nothing but a request touches the database.
    await waitFor(() => car.peers['cost-center']!.feedRequests.length > 0, 60_000, 'the replica consumer polling');
    car.subgraph.statements.reset();
    const expired = await postGraphQL(
      car.subgraph.graphqlUrl,
      body,
      await signedPost(ADMIN, car.subgraph.graphqlUrl, body, { audience: 'car', deadline: Date.now() - 1 }),
    );
    expect(expired.status).toBe(504);
    expect(expired.errors?.[0]?.extensions).toMatchObject({ code: 'DEADLINE_EXCEEDED', grpcStatus: 4 });
    expect(car.subgraph.statements.statements).toEqual([]);
  });

  it('serves a request whose deadline is ahead', async () => {
    const body = JSON.stringify({ query: '{ cars(first: 5) { totalCount } }' });
    const response = await postGraphQL(
      car.subgraph.graphqlUrl,
      body,
      await signedPost(ADMIN, car.subgraph.graphqlUrl, body, { audience: 'car', deadline: Date.now() + 10_000 }),
    );
    expect(response.data).toEqual({ cars: { totalCount: expect.any(Number) } });
  });
});
