import { sendSignedQuery } from '../../scripts/lib/signedQuery';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';

const backend = ONE_BACKEND;

describe(`npm run query:subgraph: a team queries its own subgraph (${backend})`, () => {
  let car: SubgraphUnderTest;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', backend, { seed: true });
    env = { ...TEST_ENV, NODE_ENV: 'development', CAR_SUBGRAPH_URL: car.subgraph.graphqlUrl };
  }, 180_000); // starting and seeding a subgraph: seconds, many more on a loaded 2-core machine
  afterAll(async () => {
    await car?.stop();
  });

  it('signs the request as the chosen demo user, with their scopes', async () => {
    const asAdmin = await sendSignedQuery(
      { subgraph: 'car', as: 'admin', query: '{ cars(first: 1) { totalCount } }' },
      env,
    );
    expect(asAdmin).toEqual({ data: { cars: { totalCount: expect.any(Number) } } });
    const asViewer = (await sendSignedQuery(
      { subgraph: 'car', as: 'viewer', query: 'mutation { deleteCar(id: "00000000-0000-4000-8000-000000000000") }' },
      env,
    )) as {
      errors: { extensions: { code: string } }[];
    };
    expect(asViewer.errors[0]!.extensions.code).toBe('PERMISSION_DENIED');
    const anonymous = (await sendSignedQuery(
      { subgraph: 'car', as: 'anonymous', query: '{ cars(first: 1) { totalCount } }' },
      env,
    )) as {
      errors: { extensions: { code: string } }[];
    };
    expect(anonymous.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    const withScopes = await sendSignedQuery(
      { subgraph: 'car', as: 'viewer', scopes: ['car:read'], query: '{ cars(first: 1) { totalCount } }' },
      env,
    );
    expect(withScopes).toEqual({ data: { cars: { totalCount: expect.any(Number) } } });
  });

  it('is refused in production, and names what it does not know', async () => {
    await expect(
      sendSignedQuery({ subgraph: 'car', as: 'admin', query: '{ __typename }' }, { ...env, NODE_ENV: 'production' }),
    ).rejects.toThrow(/development tool/);
    await expect(sendSignedQuery({ subgraph: 'boat', as: 'admin', query: '{ __typename }' }, env)).rejects.toThrow(
      /Unknown subgraph "boat"/,
    );
    await expect(sendSignedQuery({ subgraph: 'car', as: 'nobody', query: '{ __typename }' }, env)).rejects.toThrow(
      /Unknown demo user/,
    );
    await expect(
      sendSignedQuery({ subgraph: 'car', as: 'admin', scopes: ['car:fly'], query: '{ __typename }' }, env),
    ).rejects.toThrow(/Unknown scope/);
  });
});
