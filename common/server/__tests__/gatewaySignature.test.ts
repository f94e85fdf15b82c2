import { ANONYMOUS } from '../../auth/identity';
import { ADMIN, startSubgraphUnderTest, type SubgraphUnderTest } from '../../../test/support/subgraphHarness';
import { BACKENDS } from '../../../test/support/config';
import { postGraphQL } from '../../../test/support/graphql';
import { signedPost } from '../../../test/support/signing';

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
});
