import { ApolloClient, ApolloLink, CombinedGraphQLErrors, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { sha256Hex } from '@car-check/test-support/sha256';

/**
 * The clients this project ships, against the real gateway, with the statuses
 * of the GraphQL-over-HTTP draft: Apollo Client 4's HttpLink (what the fleet
 * console uses) and GraphiQL's fetcher (the bundled explorer) must read a 294
 * partial success as data and errors, and a 4xx as GraphQL errors.
 */
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const PARTIAL = `{ car(id: "${UNKNOWN}") { id } me { username } }`;

describe('clients and the GraphQL-over-HTTP statuses', () => {
  let graph: TestGraph;
  let token: string;
  const statuses: number[] = [];

  /** Apollo Client 4 as the console builds it (HttpLink, in-memory cache), recording each HTTP status. */
  const apolloClient = (links: ApolloLink[] = []) =>
    new ApolloClient({
      link: ApolloLink.from([
        ...links,
        new HttpLink({
          uri: graph.gatewayUrl,
          headers: { authorization: `Bearer ${token}` },
          fetch: async (input, init) => {
            const response = await fetch(input, init);
            statuses.push(response.status);
            return response;
          },
        }),
      ]),
      cache: new InMemoryCache(),
    });

  beforeAll(async () => {
    graph = await startGraph(ONE_BACKEND, { seed: true });
    token = await graph.login('admin');
    // Starting three subgraphs and a gateway on a loaded machine.
  }, 300_000);
  afterAll(async () => {
    await graph?.stop();
  });
  beforeEach(() => {
    statuses.length = 0;
  });

  it("Apollo Client 4's HttpLink surfaces a 294 partial success as data and errors (errorPolicy 'all')", async () => {
    const result = await apolloClient().query({ query: gql(PARTIAL), errorPolicy: 'all', fetchPolicy: 'no-cache' });
    expect(statuses).toEqual([294]);
    expect(result.data).toEqual({ car: null, me: { __typename: 'User', username: 'admin' } });
    expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
    expect((result.error as CombinedGraphQLErrors).errors).toMatchObject([
      { path: ['car'], extensions: { code: 'NOT_FOUND', serviceName: 'car' } },
    ]);
  });

  it('with the default errorPolicy it is a GraphQL error, not a network error', async () => {
    const failure = await apolloClient()
      .query({ query: gql(PARTIAL), fetchPolicy: 'no-cache' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(statuses).toEqual([294]);
    expect(CombinedGraphQLErrors.is(failure)).toBe(true);
  });

  it('reads a 422 validation error as GraphQL errors', async () => {
    const result = await apolloClient().query({ query: gql('{ nope }'), errorPolicy: 'all', fetchPolicy: 'no-cache' });
    expect(statuses).toEqual([422]);
    expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
    expect((result.error as CombinedGraphQLErrors).errors).toMatchObject([
      { extensions: { code: 'INVALID_ARGUMENT' } },
    ]);
  });

  it("Apollo Client's persisted-query link registers a query after a 404 PERSISTED_QUERY_NOT_FOUND", async () => {
    const query = gql(`query Unique${Date.now()} { me { username } }`);
    const client = apolloClient([new PersistedQueryLink({ sha256: sha256Hex })]);
    const result = await client.query({ query, fetchPolicy: 'no-cache' });
    expect(statuses).toEqual([404, 200]);
    expect(result.data).toEqual({ me: { __typename: 'User', username: 'admin' } });
    expect((await client.query({ query, fetchPolicy: 'no-cache' })).data).toEqual(result.data);
    expect(statuses).toEqual([404, 200, 200]);
  });

  it.each([
    ['with incremental delivery (its default)', true],
    ['without incremental delivery', false],
  ])(
    "the explorer's GraphiQL fetcher, %s, shows a partial success's data and errors",
    async (_what, enableIncrementalDelivery) => {
      const fetcher = createGraphiQLFetcher({
        url: graph.gatewayUrl,
        headers: { authorization: `Bearer ${token}` },
        enableIncrementalDelivery,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          statuses.push(response.status);
          return response;
        },
      });
      let result = await fetcher({ query: PARTIAL, operationName: null });
      if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
        const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
        result = (await iterator.next()).value as typeof result;
      }
      expect(result).toMatchObject({
        data: { car: null, me: { username: 'admin' } },
        errors: [{ extensions: { code: 'NOT_FOUND' } }],
      });
      // GraphiQL asks for application/graphql-response+json first, or (incremental) for application/json only: 294 or 200.
      expect(statuses).toEqual([enableIncrementalDelivery ? 200 : 294]);
    },
  );
});
