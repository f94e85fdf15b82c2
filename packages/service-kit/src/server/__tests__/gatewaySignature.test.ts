import { ANONYMOUS } from '../../auth/identity';
import { ADMIN, startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import { BACKENDS } from '@car-check/test-support/config';
import { postGraphQL } from '@car-check/test-support/graphql';
import { sendRaw } from '@car-check/test-support/rawHttp';
import { signedPost } from '@car-check/test-support/signing';

const codeOf = (json: unknown) =>
  (json as { errors?: { extensions?: { code?: unknown } }[] } | undefined)?.errors?.[0]?.extensions?.code;

const backend = BACKENDS.includes('postgres') ? 'postgres' : 'pglite';

describe(`a subgraph admits each signed request once, for itself (${backend})`, () => {
  let car: SubgraphUnderTest;
  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', backend, { seed: true });
  }, 180_000); // starting and seeding a subgraph: seconds, many more on a loaded 2-core machine
  afterAll(async () => {
    await car?.stop();
  });

  const body = JSON.stringify({ query: '{ cars(first: 1) { totalCount } }' });

  it('takes the signed request id, and refuses a header a forwarder changed', async () => {
    const url = car.subgraph.graphqlUrl;
    const signed = await signedPost(ADMIN, url, body, { audience: 'car', requestId: 'signed-id-1' });
    const response = await postGraphQL(url, body, signed);
    expect(response.data).toEqual({ cars: { totalCount: expect.any(Number) } });
    expect(response.headers.get('x-request-id')).toBe('signed-id-1');
    const relabelled = await signedPost(ADMIN, url, body, { audience: 'car', requestId: 'signed-id-2' });
    expect((await postGraphQL(url, body, { ...relabelled, 'x-request-id': 'forged-id' })).status).toBe(401);
  });

  it('refuses a replay, and a signature made for another subgraph', async () => {
    const once = await signedPost(ADMIN, car.subgraph.graphqlUrl, body, { audience: 'car' });
    expect((await postGraphQL(car.subgraph.graphqlUrl, body, once)).status).toBe(200);
    expect((await postGraphQL(car.subgraph.graphqlUrl, body, once)).status).toBe(401);
    const forUser = await signedPost({ ...ANONYMOUS }, car.subgraph.graphqlUrl, body, { audience: 'user' });
    expect((await postGraphQL(car.subgraph.graphqlUrl, body, forUser)).status).toBe(401);
  });

  it('refuses a captured signed POST re-sent as a GET with another query, same headers and body', async () => {
    const captured = await signedPost(ADMIN, car.subgraph.graphqlUrl, body, { audience: 'car' });
    const graphql = new URL(car.subgraph.graphqlUrl);
    // A GET runs the query string and ignores the body, so the body's digest alone does not tell them apart.
    const replayed = await sendRaw(graphql.origin, {
      method: 'GET',
      path: `${graphql.pathname}?query=${encodeURIComponent('{ cars(first: 2) { edges { node { id } } } }')}`,
      // An explicit length: Node sends a GET's body only when framed.
      headers: {
        ...captured,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'apollo-require-preflight': 'true',
      },
      body,
    });
    expect({ status: replayed.status, code: codeOf(replayed.json) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
