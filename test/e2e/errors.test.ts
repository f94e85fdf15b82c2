import { randomUUID } from 'node:crypto';
import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { PrismaClient as CostCenterPrisma } from '../../subgraphs/cost-center/src/prisma';
import type { PrismaClient as UserPrisma } from '../../subgraphs/user/src/prisma';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, errorCodesByPath, postGraphQL, type GraphQLResponse } from '@car-check/test-support/graphql';
import { sha256Hex } from '@car-check/test-support/sha256';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** The single error of a response, which must have exactly one. */
function onlyError(response: GraphQLResponse<unknown>) {
  expect(response.errors).toHaveLength(1);
  return response.errors![0]!;
}

describe.each(BACKENDS)('per-field errors with gRPC codes, through the gateway (%s)', (backend) => {
  let graph: TestGraph;
  let cars: CarPrisma;
  let costCenters: CostCenterPrisma;
  let users: UserPrisma;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
    cars = graph.subgraphs.car.prisma as CarPrisma;
    costCenters = graph.subgraphs['cost-center'].prisma as CostCenterPrisma;
    users = graph.subgraphs.user.prisma as UserPrisma;
  });
  afterAll(async () => {
    await graph?.stop();
  });

  describe('NOT_FOUND (5)', () => {
    it.each([
      ['car', `{ car(id: "${UNKNOWN}") { id } }`, 'car'],
      ['costCenter by id', `{ costCenter(id: "${UNKNOWN}") { id } }`, 'cost-center'],
      ['costCenter by code', `{ costCenter(code: "CC-NONE-000") { id } }`, 'cost-center'],
      ['user', `{ user(id: "${UNKNOWN}") { id } }`, 'user'],
    ])('%s with an unknown key is null with the error on its path', async (field, query, serviceName) => {
      const response = await graph.query(query);
      const rootField = field.split(' ')[0]!;
      // data and errors: a partial success (GraphQL over HTTP).
      expect(response.status).toBe(294);
      expect(response.data).toEqual({ [rootField]: null });
      expect(onlyError(response)).toMatchObject({
        path: [rootField],
        extensions: { code: 'NOT_FOUND', grpcStatus: 5, serviceName, requestId: expect.any(String) },
      });
    });

    it.each([
      ['updateCar', `mutation { updateCar(id: "${UNKNOWN}", input: { model: "X" }) { id } }`],
      ['deleteCar', `mutation { deleteCar(id: "${UNKNOWN}") }`],
      ['updateCostCenter', `mutation { updateCostCenter(id: "${UNKNOWN}", input: { societyName: "X" }) { id } }`],
      ['deleteCostCenter', `mutation { deleteCostCenter(id: "${UNKNOWN}") }`],
      ['updateUser', `mutation { updateUser(id: "${UNKNOWN}", input: { isActive: false }) { id } }`],
      ['deleteUser', `mutation { deleteUser(id: "${UNKNOWN}") }`],
    ])('%s of an unknown id', async (field, mutation) => {
      expect(onlyError(await graph.query(mutation))).toMatchObject({
        path: [field],
        extensions: { code: 'NOT_FOUND', grpcStatus: 5 },
      });
    });

    it('a reference to an entity that no longer exists is null with the error on the referencing field; the list keeps its other items', async () => {
      // A cost center removed behind the graph's back (e.g. restored from an older backup).
      const orphan = await cars.car.create({ data: { brand: 'Orphan', model: 'One', costCenterId: randomUUID() } });
      const response = await graph.query<{
        cars: { edges: { node: { id: string; costCenter: { code: string } | null } }[] };
      }>(
        `{ cars(first: 100, orderBy: { field: BRAND, direction: ASC }) { edges { node { id costCenter { code } } } } }`,
      );
      const edges = response.data!.cars.edges;
      const index = edges.findIndex((edge) => edge.node.id === orphan.id);
      expect(edges).toHaveLength(seedCars.length + 1);
      expect(edges[index]!.node.costCenter).toBeNull();
      expect(edges.filter((edge) => edge.node.costCenter === null)).toHaveLength(1);
      expect(onlyError(response)).toMatchObject({
        path: ['cars', 'edges', index, 'node', 'costCenter'],
        extensions: { code: 'NOT_FOUND', grpcStatus: 5, serviceName: 'cost-center' },
      });
      await cars.car.delete({ where: { id: orphan.id } });
    });
  });

  describe('INVALID_ARGUMENT (3)', () => {
    it.each([
      ['a syntax error', 400, '{ cars(first: 1) { totalCount }'],
      ['an unknown field', 422, '{ cars { nope } }'],
      ['a wrong argument type', 422, '{ cars(first: "ten") { totalCount } }'],
    ])('%s is refused with HTTP %d', async (_what, status, query) => {
      const response = await graph.query(query);
      expect(response.status).toBe(status);
      expect(response.data).toBeUndefined();
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', grpcStatus: 3 });
    });

    it.each([
      [
        'an empty brand',
        `mutation { createCar(input: { brand: " ", model: "Zoe", costCenterId: "${seedCostCenters[0]!.id}" }) { id } }`,
        ['createCar'],
        'input.brand',
      ],
      [
        'a bad email',
        `mutation { createUser(input: { username: "new.one", email: "nope" }) { id } }`,
        ['createUser'],
        'input.email',
      ],
      ['a negative first', '{ car: cars(first: -1) { totalCount } }', ['car'], undefined],
      ['a malformed cursor', '{ cars(after: "garbage") { totalCount } }', ['cars'], undefined],
    ])('%s is an error on its field, with HTTP 294 (partial success)', async (_what, query, path, field) => {
      const response = await graph.query(query);
      expect(response.status).toBe(294);
      expect(onlyError(response)).toMatchObject({
        path,
        extensions: { code: 'INVALID_ARGUMENT', grpcStatus: 3, ...(field ? { field } : {}) },
      });
    });
  });

  it('OUT_OF_RANGE (11): first above the maximum page size', async () => {
    expect(onlyError(await graph.query('{ users(first: 1000) { totalCount } }'))).toMatchObject({
      path: ['users'],
      extensions: { code: 'OUT_OF_RANGE', grpcStatus: 11, max: 100 },
    });
  });

  describe('ALREADY_EXISTS (6)', () => {
    it.each([
      [
        'a cost center code',
        `mutation { createCostCenter(input: { code: "${seedCostCenters[0]!.code}", societyName: "Dup", managerId: "${seedUsers[0]!.id}" }) { id } }`,
      ],
      [
        'a username',
        `mutation { createUser(input: { username: "${seedUsers[0]!.username}", email: "fresh@fleet.example" }) { id } }`,
      ],
      [
        'an email',
        `mutation { createUser(input: { username: "fresh.name", email: "${seedUsers[0]!.email}" }) { id } }`,
      ],
    ])('a second entity with %s, and nothing written', async (_what, mutation) => {
      const before = [await costCenters.costCenter.count(), await users.user.count()];
      expect(onlyError(await graph.query(mutation)).extensions).toMatchObject({
        code: 'ALREADY_EXISTS',
        grpcStatus: 6,
      });
      expect([await costCenters.costCenter.count(), await users.user.count()]).toEqual(before);
    });
  });

  describe('FAILED_PRECONDITION (9), across services', () => {
    it('deleting a cost center that still has cars', async () => {
      const center = seedCostCenters[0]!;
      const response = await graph.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id: center.id });
      expect(onlyError(response)).toMatchObject({
        path: ['deleteCostCenter'],
        extensions: { code: 'FAILED_PRECONDITION', grpcStatus: 9, serviceName: 'cost-center' },
      });
      expect(await costCenters.costCenter.findUnique({ where: { id: center.id } })).not.toBeNull();
    });

    it('deleting a cost center without cars works', async () => {
      const created = dataOf(
        await graph.query<{ createCostCenter: { id: string } }>(
          `mutation($m: ID!) { createCostCenter(input: { code: "CC-EMPTY-001", societyName: "Empty", managerId: $m }) { id } }`,
          { m: seedUsers[0]!.id },
        ),
      ).createCostCenter;
      expect(dataOf(await graph.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id: created.id }))).toEqual(
        { deleteCostCenter: created.id },
      );
    });

    it('creating or moving a car to a cost center that does not exist', async () => {
      const before = await cars.car.count();
      const create = await graph.query(
        `mutation { createCar(input: { brand: "Kia", model: "EV6", costCenterId: "${UNKNOWN}" }) { id } }`,
      );
      expect(onlyError(create).extensions).toMatchObject({
        code: 'FAILED_PRECONDITION',
        field: 'input.costCenterId',
        serviceName: 'car',
      });
      const move = await graph.query(
        `mutation { updateCar(id: "${seedCars[0]!.id}", input: { costCenterId: "${UNKNOWN}" }) { id } }`,
      );
      expect(onlyError(move).extensions?.code).toBe('FAILED_PRECONDITION');
      expect(await cars.car.count()).toBe(before);
      expect((await cars.car.findUniqueOrThrow({ where: { id: seedCars[0]!.id } })).costCenterId).toBe(
        seedCars[0]!.costCenterId,
      );
    });
  });

  it('ABORTED (10): of 20 concurrent updates with the same expectedRevision exactly one wins, and its write is the one kept', async () => {
    const target = seedCars[7]!;
    const { revision } = await cars.car.findUniqueOrThrow({ where: { id: target.id } });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        graph.query<{ updateCar: { model: string; revision: number } }>(
          `mutation($id: ID!, $input: UpdateCarInput!) { updateCar(id: $id, input: $input) { model revision } }`,
          { id: target.id, input: { model: `Writer ${i}`, version: `v${i}`, expectedRevision: revision } },
        ),
      ),
    );
    const winners = responses.filter((response) => response.data?.updateCar);
    const losers = responses.filter((response) => response.errors?.length);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const loser of losers)
      expect(onlyError(loser).extensions).toMatchObject({
        code: 'ABORTED',
        grpcStatus: 10,
        currentRevision: revision + 1,
      });
    const winner = winners[0]!.data!.updateCar;
    expect(winner.revision).toBe(revision + 1);
    const row = await cars.car.findUniqueOrThrow({ where: { id: target.id } });
    expect({ model: row.model, version: row.version, revision: row.revision }).toEqual({
      model: winner.model,
      version: `v${winner.model.split(' ')[1]}`,
      revision: revision + 1,
    });
  });

  it('INTERNAL (13): an unexpected failure is masked, carries the request id, and the rest of the response is served', async () => {
    await cars.$executeRawUnsafe('ALTER TABLE "car" RENAME TO "car_moved_away"');
    try {
      const response = await graph.query(
        `{ car(id: "${seedCars[0]!.id}") { id } user(id: "${seedUsers[0]!.id}") { username } }`,
        undefined,
        {
          'x-request-id': 'trace-me-123',
        },
      );
      expect(response.status).toBe(294);
      expect(response.data).toEqual({ car: null, user: { username: seedUsers[0]!.username } });
      const error = onlyError(response);
      expect(error).toEqual({
        message: 'Internal error. Quote the request id when reporting it.',
        path: ['car'],
        extensions: {
          code: 'INTERNAL',
          grpcStatus: 13,
          serviceName: 'car',
          requestId: response.headers.get('x-request-id'),
          traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      });
      expect(JSON.stringify(response.errors)).not.toMatch(/car_moved_away|relation|SELECT|prisma|\.ts|at /i);
    } finally {
      await cars.$executeRawUnsafe('ALTER TABLE "car_moved_away" RENAME TO "car"');
    }
  });

  it('partial results: one failing field in each of two subgraphs, everything else returned', async () => {
    const response = await graph.query<Record<string, unknown>>(
      `query($cc: String) {
        car(id: "${UNKNOWN}") { id }
        user(id: "${UNKNOWN}") { id }
        costCenter(code: $cc) { code manager { username } cars(first: 1) { totalCount } }
        users(first: 2) { totalCount }
      }`,
      { cc: seedCostCenters[1]!.code },
    );
    expect(response.status).toBe(294);
    expect(response.data).toMatchObject({
      car: null,
      user: null,
      costCenter: { code: seedCostCenters[1]!.code, manager: { username: 'claire.martin' }, cars: { totalCount: 8 } },
      users: { totalCount: seedUsers.length },
    });
    expect(errorCodesByPath(response)).toEqual([
      [['car'], 'NOT_FOUND'],
      [['user'], 'NOT_FOUND'],
    ]);
    expect(response.errors!.map((error) => error.extensions?.serviceName).sort()).toEqual(['car', 'user']);
  });

  it('automatic persisted queries keep Apollo’s PERSISTED_QUERY_NOT_FOUND code, with grpcStatus 5', async () => {
    const query = '{ users(first: 1) { totalCount } }';
    const sha256Hash = sha256Hex(query);
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const auth = { authorization: `Bearer ${await graph.login('admin')}` };
    const miss = await postGraphQL(graph.gatewayUrl, JSON.stringify({ extensions }), auth);
    expect(miss.errors?.[0]?.extensions).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND', grpcStatus: 5 });
    const register = await postGraphQL(graph.gatewayUrl, JSON.stringify({ query, extensions }), auth);
    expect(register.data).toEqual({ users: { totalCount: seedUsers.length } });
    const hit = await postGraphQL(graph.gatewayUrl, JSON.stringify({ extensions }), auth);
    expect(hit.data).toEqual({ users: { totalCount: seedUsers.length } });
  });
});
