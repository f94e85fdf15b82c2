import { randomUUID } from 'node:crypto';
import { ANONYMOUS } from '@car-check/service-kit';
import { ONE_BACKEND, testConfig } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL } from '@car-check/test-support/graphql';
import { freshClientAddress, sendRaw } from '@car-check/test-support/rawHttp';
import { signedPost } from '@car-check/test-support/signing';
import type { TestSubgraph } from '@car-check/test-support/subgraphs';
import { requireServices } from '@car-check/test-support/services';

// A Redis server runs on this address on every machine of this project and in CI.
const REDIS_URL = testConfig.TEST_REDIS_URL;
// Without Redis, every test here stops with "Redis unreachable at …", not a failed assertion.
beforeAll(() => requireServices('redis'));
const backend = ONE_BACKEND;

interface Answer {
  errors?: { extensions: { code: string } }[];
}

/**
 * Two gateways and two instances of the user service sharing one Redis: the
 * limits that protect sign-in and the graph hold across instances, and a
 * signed request captured at one instance cannot be replayed at another.
 */
describe(`state shared through Redis by several instances (${backend})`, () => {
  let graph: TestGraph;
  let secondUser: TestSubgraph;
  let secondGateway: string;

  beforeAll(async () => {
    const shared = { REDIS_URL };
    graph = await startGraph(backend, {
      seed: true,
      gatewayEnv: { ...shared, RATE_LIMIT_PER_MINUTE: '12' },
      subgraphEnv: shared,
    });
    secondUser = await graph.startInstance('user');
    secondGateway = await graph.startGateway({ user: secondUser.graphqlUrl }, { RATE_LIMIT_PER_MINUTE: '12' });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const gateways = () => [graph.gatewayUrl, secondGateway];
  const send = (gatewayUrl: string, body: unknown, address: string) =>
    sendRaw(new URL(gatewayUrl).origin, {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      localAddress: address,
    });

  it('one client’s rate limit is counted across both gateways', async () => {
    const address = freshClientAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++)
      statuses.push((await send(gateways()[i % 2]!, { query: '{ __typename }' }, address)).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(12);
    expect(statuses.slice(12)).toEqual([429, 429]);
  });

  it('sign-in guesses are counted across both user-service instances', async () => {
    const username = `shared-${randomUUID().slice(0, 8)}`;
    const admin = await graph.login('admin');
    const created = await postGraphQL(
      graph.gatewayUrl,
      {
        query: 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
        variables: { input: { username, email: `${username}@example.com`, password: 'shared-right-password' } },
      },
      { authorization: `Bearer ${admin}` },
    );
    expect(created.errors).toBeUndefined();
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(
          gateways()[i % 2]!,
          {
            query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
            variables: { u: username, p: `wrong-${i}` },
          },
          freshClientAddress(),
        ),
      ),
    );
    const codes = guesses.map((guess) => (guess.json as Answer).errors?.[0]?.extensions.code);
    // LOGIN_MAX_FAILURES_PER_USER is 3 in tests: 3 evaluated in all, not 3 per instance.
    expect(codes.filter((code) => code === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(3);
    expect(codes.filter((code) => code === 'RESOURCE_EXHAUSTED').length).toBeGreaterThanOrEqual(17);
  });

  it('a signed request accepted by one instance is refused as a replay by the other', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    // The same path on both instances: the signature is for this path, not for one host.
    const captured = await signedPost({ ...ANONYMOUS }, graph.subgraphs.user.graphqlUrl, body, { audience: 'user' });
    const first = await postGraphQL(graph.subgraphs.user.graphqlUrl, body, captured);
    expect(first.data).toEqual({ __typename: 'Query' });
    const replayed = await postGraphQL(secondUser.graphqlUrl, body, captured);
    expect(replayed.status).toBe(401);
  });
});
