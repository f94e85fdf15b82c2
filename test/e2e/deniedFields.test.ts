import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { ONE_BACKEND as backend } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { errorCodesByPath, type GraphQLResponse } from '@car-check/test-support/graphql';

const user = (name: string) => seedUsers.find((u) => u.username === name)!;

/**
 * A field that is denied, or that another subgraph fails to resolve, is null
 * with its error; its parent and siblings are still returned. Such fields are
 * nullable in the SDL so that GraphQL's null propagation stops at them.
 *
 * On one backend: authorization and null propagation happen in the subgraphs' resolvers and
 * the gateway, after the database has answered.
 */
describe(`a denied or failed field does not take its parent down (${backend})`, () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it("a viewer reading a car's history gets the car, with history null and PERMISSION_DENIED on it", async () => {
    const car = seedCars[0]!;
    const response = await graph.as('viewer')(`query($id: ID!) { car(id: $id) { brand history { totalCount } } }`, {
      id: car.id,
    });
    expect(response.status).toBe(294);
    expect(response.data).toEqual({ car: { brand: car.brand, history: null } });
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({
      path: ['car', 'history'],
      extensions: { code: 'PERMISSION_DENIED', grpcStatus: 7, coordinate: 'Car.history' },
    });
  });

  it('the same for the history of a cost center and of a user', async () => {
    const center = seedCostCenters[0]!;
    const centerResponse = await graph.as('viewer')(
      `query($code: String) { costCenter(code: $code) { code history { totalCount } } }`,
      {
        code: center.code,
      },
    );
    expect(centerResponse.data).toEqual({ costCenter: { code: center.code, history: null } });
    expect(errorCodesByPath(centerResponse)).toEqual([[['costCenter', 'history'], 'PERMISSION_DENIED']]);

    const viewer = user('viewer');
    const userResponse = await graph.as('manager')(
      `query($id: ID!) { user(id: $id) { username history { totalCount } } }`,
      { id: viewer.id },
    );
    expect(userResponse.data).toEqual({ user: { username: viewer.username, history: null } });
    expect(errorCodesByPath(userResponse)).toEqual([[['user', 'history'], 'PERMISSION_DENIED']]);
  });

  it('a denied list at the root leaves the other root fields', async () => {
    const response = await graph.as('viewer')(
      `{ cars(first: 1) { totalCount } costCenters(first: 1) { totalCount } users { totalCount } }`,
    );
    expect(response.data).toEqual({
      cars: { totalCount: seedCars.length },
      costCenters: { totalCount: seedCostCenters.length },
      users: null,
    });
    expect(errorCodesByPath(response)).toEqual([[['users'], 'PERMISSION_DENIED']]);
  });

  it('a denied mutation beside an allowed one: the client still sees the write that was made', async () => {
    const target = seedCars[9]!;
    const response = await graph.as('manager')(
      `mutation($car: ID!, $center: ID!) {
        updateCar(id: $car, input: { version: "Beside a denial" }) { version }
        updateCostCenter(id: $center, input: { societyName: "Not allowed" }) { id }
      }`,
      { car: target.id, center: seedCostCenters[0]!.id },
    );
    expect(response.data).toEqual({ updateCar: { version: 'Beside a denial' }, updateCostCenter: null });
    expect(errorCodesByPath(response)).toEqual([[['updateCostCenter'], 'PERMISSION_DENIED']]);
    const row = await (graph.subgraphs.car.prisma as CarPrisma).car.findUniqueOrThrow({ where: { id: target.id } });
    expect(row.version).toBe('Beside a denial');
  });

  describe('fields another subgraph resolves, while that subgraph is down', () => {
    /** One UNAVAILABLE error from `service`, on the contributed field's own path (`['costCenter', 'cars']`). */
    function expectOneUnavailable(response: GraphQLResponse<unknown>, service: string, fieldPath: string[]) {
      expect(response.errors).toHaveLength(1);
      const error = response.errors![0]!;
      expect(error.extensions).toMatchObject({ code: 'UNAVAILABLE', grpcStatus: 14, serviceName: service });
      expect(error.path).toEqual(fieldPath);
    }

    it("CostCenter.cars is null with UNAVAILABLE; the cost center's own fields are returned", async () => {
      const center = seedCostCenters[1]!;
      await graph.stopSubgraph('car');
      try {
        const response = await graph.query(
          `query($code: String) { costCenter(code: $code) { code cars(first: 1) { totalCount } } }`,
          {
            code: center.code,
          },
        );
        expect(response.data).toEqual({ costCenter: { code: center.code, cars: null } });
        expectOneUnavailable(response, 'car', ['costCenter', 'cars']);
      } finally {
        await graph.restartSubgraph('car');
      }
    });

    it("User.managedCostCenters is null with UNAVAILABLE; the user's own fields are returned", async () => {
      await graph.stopSubgraph('cost-center');
      try {
        const response = await graph.as('manager')(`{ me { username managedCostCenters { code } } }`);
        expect(response.data).toEqual({ me: { username: 'manager', managedCostCenters: null } });
        expectOneUnavailable(response, 'cost-center', ['me', 'managedCostCenters']);
      } finally {
        await graph.restartSubgraph('cost-center');
      }
    });
  });
});
