import { ANONYMOUS, signIdentity } from '../../auth/identity';
import { ADMIN, startSubgraphUnderTest, type SubgraphUnderTest } from '../../../test/support/subgraphHarness';
import { BACKENDS } from '../../../test/support/config';
import { postGraphQL } from '../../../test/support/graphql';
import { TEST_SIGNING_SECRET } from '../../../test/support/secrets';

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

  it('takes the signed request id, not a header a forwarder could change', async () => {
    const headers = { ...signIdentity(ADMIN, body, TEST_SIGNING_SECRET, { audience: 'car', requestId: 'signed-id-1' }), 'x-request-id': 'forged-id' };
    const response = await postGraphQL(car.subgraph.graphqlUrl, body, headers);
    expect(response.data).toEqual({ cars: { totalCount: expect.any(Number) } });
    expect(response.headers.get('x-request-id')).toBe('signed-id-1');
  });

  it('refuses a replay, and a signature made for another subgraph', async () => {
    const once = signIdentity(ADMIN, body, TEST_SIGNING_SECRET, { audience: 'car' });
    expect((await postGraphQL(car.subgraph.graphqlUrl, body, once)).status).toBe(200);
    expect((await postGraphQL(car.subgraph.graphqlUrl, body, once)).status).toBe(401);
    const forUser = signIdentity({ ...ANONYMOUS }, body, TEST_SIGNING_SECRET, { audience: 'user' });
    expect((await postGraphQL(car.subgraph.graphqlUrl, body, forUser)).status).toBe(401);
  });
});
