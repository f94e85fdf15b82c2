import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';

interface CarNode {
  id: string;
  brand: string;
  model: string;
  costCenter: { code: string; manager: { username: string } | null } | null;
}
interface Page<T> {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe.each(BACKENDS)('the federated graph through the gateway (%s)', (backend) => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('joins cars, cost centers and users owned by three subgraphs in one query', async () => {
    const response = await graph.query<{ cars: Page<CarNode> }>(`{
      cars(first: 5) {
        totalCount
        edges { node { id brand model costCenter { code manager { username } } } }
      }
    }`);
    const { cars } = dataOf(response);
    expect(response.status).toBe(200);
    expect(cars.totalCount).toBe(seedCars.length);
    expect(cars.edges).toHaveLength(5);
    for (const { node } of cars.edges) {
      const seeded = seedCars.find((car) => car.id === node.id)!;
      const center = seedCostCenters.find((c) => c.id === seeded.costCenterId)!;
      const manager = seedUsers.find((u) => u.id === center.managerId)!;
      expect(node).toEqual({
        id: seeded.id,
        brand: seeded.brand,
        model: seeded.model,
        costCenter: { code: center.code, manager: { username: manager.username } },
      });
    }
  });

  it('resolves the fields each subgraph contributes to another one’s entity', async () => {
    const center = seedCostCenters[0]!;
    const { costCenter } = dataOf(
      await graph.query<{
        costCenter: { code: string; cars: Page<{ id: string }>; manager: { managedCostCenters: { code: string }[] } };
      }>(
        `query($code: String) { costCenter(code: $code) {
          code
          cars(first: 3) { totalCount edges { node { id } } pageInfo { hasNextPage } }
          manager { managedCostCenters { code } }
        } }`,
        { code: center.code },
      ),
    );
    const ownCars = seedCars.filter((car) => car.costCenterId === center.id);
    expect(costCenter.cars.totalCount).toBe(ownCars.length);
    expect(costCenter.cars.edges).toHaveLength(3);
    expect(costCenter.cars.pageInfo.hasNextPage).toBe(true);
    expect(costCenter.cars.edges.every(({ node }) => ownCars.some((car) => car.id === node.id))).toBe(true);
    const managed = seedCostCenters
      .filter((c) => c.managerId === center.managerId)
      .map((c) => c.code)
      .sort();
    expect(costCenter.manager.managedCostCenters.map((c) => c.code)).toEqual(managed);
  });

  it('pages through every car exactly once with cursors, in the requested order', async () => {
    const seen: { brand: string; id: string }[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const response: { cars: Page<{ id: string; brand: string }> } = dataOf(
        await graph.query(
          `query($after: String) { cars(first: 15, after: $after, orderBy: { field: BRAND, direction: DESC }) {
            edges { node { id brand } } pageInfo { hasNextPage endCursor } } }`,
          { after },
        ),
      );
      seen.push(...response.cars.edges.map((edge) => edge.node));
      if (!response.cars.pageInfo.hasNextPage) break;
      after = response.cars.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(seedCars.length);
    expect(new Set(seen.map((car) => car.id)).size).toBe(seedCars.length);
    const brands = seen.map((car) => car.brand);
    expect(brands).toEqual([...brands].sort().reverse());
  });

  it('filters cars by brand, cost center and free text', async () => {
    const center = seedCostCenters[1]!;
    const { byBrand, byCenter, bySearch } = dataOf(
      await graph.query<{ byBrand: Page<CarNode>; byCenter: Page<CarNode>; bySearch: Page<CarNode> }>(
        `query($center: ID) {
          byBrand: cars(filter: { brand: "renault" }, first: 100) { totalCount edges { node { brand } } }
          byCenter: cars(filter: { costCenterId: $center }, first: 100) { totalCount }
          bySearch: cars(filter: { search: "GOL" }, first: 100) { totalCount edges { node { model } } }
        }`,
        { center: center.id },
      ),
    );
    expect(byBrand.totalCount).toBe(seedCars.filter((car) => car.brand === 'Renault').length);
    expect(byBrand.edges.every(({ node }) => node.brand === 'Renault')).toBe(true);
    expect(byCenter.totalCount).toBe(seedCars.filter((car) => car.costCenterId === center.id).length);
    expect(bySearch.totalCount).toBe(seedCars.filter((car) => car.model === 'Golf').length);
  });

  it('filters users by group and activity and cost centers by society name', async () => {
    const data = dataOf(
      await graph.query<{ viewers: Page<unknown>; inactive: Page<unknown>; lyon: Page<{ code: string }> }>(`{
        viewers: users(filter: { group: "viewer" }) { totalCount }
        inactive: users(filter: { isActive: false }) { totalCount }
        lyon: costCenters(filter: { societyName: "lyon" }) { totalCount edges { node { code } } }
      }`),
    );
    expect(data.viewers.totalCount).toBe(seedUsers.filter((u) => u.groups.includes('viewer')).length);
    expect(data.inactive.totalCount).toBe(seedUsers.filter((u) => !u.isActive).length);
    expect(data.lyon.edges.map((e) => e.node.code)).toEqual(['CC-LYO-002']);
  });

  it('creates, updates and deletes through the gateway, counting revisions', async () => {
    const center = seedCostCenters[2]!;
    const created = dataOf(
      await graph.query<{ createCar: { id: string; revision: number; costCenter: { code: string } } }>(
        `mutation($input: CreateCarInput!) { createCar(input: $input) { id revision costCenter { code } } }`,
        { input: { brand: 'Fiat', model: '500e', costCenterId: center.id } },
      ),
    ).createCar;
    expect(created.revision).toBe(1);
    expect(created.costCenter.code).toBe(center.code);

    const updated = dataOf(
      await graph.query<{ updateCar: { model: string; version: string; revision: number } }>(
        `mutation($id: ID!) { updateCar(id: $id, input: { version: "La Prima" }) { model version revision } }`,
        { id: created.id },
      ),
    ).updateCar;
    expect(updated).toEqual({ model: '500e', version: 'La Prima', revision: 2 });

    const deleted = dataOf(
      await graph.query<{ deleteCar: string }>(`mutation($id: ID!) { deleteCar(id: $id) }`, { id: created.id }),
    );
    expect(deleted.deleteCar).toBe(created.id);
    const gone = await graph.query<{ car: null }>(`query($id: ID!) { car(id: $id) { id } }`, { id: created.id });
    expect(gone.data?.car).toBeNull();
  });

  it('answers an unknown id with null for that field and keeps the rest', async () => {
    const response = await graph.query<{ car: null; user: { username: string } }>(
      `query($car: ID!, $user: ID!) { car(id: $car) { id } user(id: $user) { username } }`,
      { car: '00000000-0000-4000-8000-000000000000', user: seedUsers[0]!.id },
    );
    expect(response.data?.car).toBeNull();
    expect(response.data?.user).toEqual({ username: seedUsers[0]!.username });
  });

  it('rejects invalid input before writing anything', async () => {
    const before = dataOf(await graph.query<{ users: { totalCount: number } }>(`{ users { totalCount } }`));
    const response = await graph.query(
      `mutation { createUser(input: { username: "new.user", email: "not-an-email" }) { id } }`,
    );
    expect(response.data).toEqual({ createUser: null });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'input.email' });
    const after = dataOf(await graph.query<{ users: { totalCount: number } }>(`{ users { totalCount } }`));
    expect(after.users.totalCount).toBe(before.users.totalCount);
  });

  it('refuses pages above the maximum size and malformed cursors', async () => {
    const tooBig = await graph.query(`{ cars(first: 101) { totalCount } }`);
    expect(tooBig.errors?.[0]?.extensions?.code).toBe('OUT_OF_RANGE');
    const badCursor = await graph.query(`{ cars(after: "not-a-cursor") { totalCount } }`);
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    const negative = await graph.query(`{ users(first: -1) { totalCount } }`);
    expect(negative.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
  });

  it('answers a malformed request with a well-formed GraphQL error', async () => {
    const syntax = await graph.query(`{ cars(first: 1) { totalCount }`);
    expect(syntax.status).toBe(400);
    expect(syntax.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', grpcStatus: 3 });

    // Parses, but fails validation: 422 (GraphQL over HTTP).
    const unknownField = await graph.query(`{ cars { nope } }`);
    expect(unknownField.status).toBe(422);
    expect(unknownField.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');

    const notJson = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      errors: [
        {
          message: expect.any(String),
          extensions: {
            code: 'INVALID_ARGUMENT',
            grpcStatus: 3,
            requestId: notJson.headers.get('x-request-id'),
            traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
          },
        },
      ],
    });
  });
});
