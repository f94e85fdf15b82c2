import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL, type GraphQLResponse } from '@car-check/test-support/graphql';

const backend = ONE_BACKEND;

/**
 * Inbound deduplication through the gateway: identical queries in flight
 * share one execution, and never across callers whose identity or scopes
 * differ.
 */
describe(`identical queries in flight share one execution (${backend})`, () => {
  let graph: TestGraph;
  let userProxy: DelayProxy;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      routeThrough: {
        user: async (url) => {
          userProxy = new DelayProxy(url);
          return userProxy.start();
        },
      },
    });
    for (const name of ['admin', 'manager', 'viewer']) tokens[name] = await graph.login(name);
    // Slow enough that concurrent requests overlap, even on a loaded machine.
    userProxy.delayMs = 1_000;
  });
  afterAll(async () => {
    await graph?.stop();
    await userProxy?.stop();
  });

  const ask = (name: string, query: string) =>
    postGraphQL(graph.gatewayUrl, { query }, { authorization: `Bearer ${tokens[name]}` });

  it('ten identical requests cost the subgraph one call', async () => {
    const before = userProxy.requests;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => ask('admin', '{ users(first: 2) { totalCount } }')),
    );
    expect(answers.every((answer) => answer.errors === undefined && answer.data?.users)).toBe(true);
    expect(new Set(answers.map((answer) => answer.headers.get('x-request-id'))).size).toBe(10);
    expect(userProxy.requests - before).toBe(1);
  });

  it('never gives one caller another’s answer: different users, different scopes', async () => {
    const asks: [string, Promise<GraphQLResponse>][] = [];
    for (let i = 0; i < 6; i++) {
      for (const name of ['admin', 'manager', 'viewer']) {
        asks.push([name, ask(name, '{ me { username } users(first: 1) { totalCount } }')]);
      }
    }
    for (const [name, pending] of asks) {
      const answer = await pending;
      expect((answer.data as { me: { username: string } }).me.username).toBe(name);
      const users = (answer.data as { users: unknown }).users;
      // Admins and fleet managers may list users (user:read); a viewer gets PERMISSION_DENIED on that field alone.
      if (name !== 'viewer') expect(users).toEqual({ totalCount: expect.any(Number) });
      else {
        expect(users).toBeNull();
        expect(
          answer.errors?.map((error) => [error.path, error.extensions?.code, error.extensions?.requestId]),
        ).toEqual([[['users'], 'PERMISSION_DENIED', answer.headers.get('x-request-id')]]);
      }
    }
  });

  it('never shares a mutation', async () => {
    const before = userProxy.requests;
    await Promise.all(Array.from({ length: 3 }, () => ask('viewer', 'mutation { logout }')));
    expect(userProxy.requests - before).toBe(3);
  });
});
