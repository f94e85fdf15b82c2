import { randomUUID } from 'node:crypto';
import { seedCars, seedCostCenters } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

interface CarData {
  id: string;
  brand: string;
  model: string;
  version: string | null;
  revision: number;
  costCenter: { id: string } | null;
}

const CAR_FIELDS = 'id brand model version revision costCenter { id }';

describe.each(BACKENDS)('car subgraph on its own (%s)', (backend) => {
  let car: SubgraphUnderTest;

  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', backend, { seed: true });
    for (const center of seedCostCenters) car.peers['cost-center']!.set('CostCenter', center.id);
  });
  afterAll(async () => {
    await car?.stop();
  });

  it('creates, reads, updates and deletes a car', async () => {
    const costCenterId = seedCostCenters[0]!.id;
    const created = dataOf(
      await car.query<{ createCar: CarData }>(
        `mutation($input: CreateCarInput!) { createCar(input: $input) { ${CAR_FIELDS} } }`,
        {
          input: { brand: '  Renault ', model: 'Zoe', costCenterId },
        },
      ),
    ).createCar;
    expect(created).toMatchObject({
      brand: 'Renault',
      model: 'Zoe',
      version: null,
      revision: 1,
      costCenter: { id: costCenterId },
    });

    const read = dataOf(
      await car.query<{ car: CarData }>(`query($id: ID!) { car(id: $id) { ${CAR_FIELDS} } }`, { id: created.id }),
    );
    expect(read.car).toEqual(created);

    const moved = seedCostCenters[1]!.id;
    const updated = dataOf(
      await car.query<{ updateCar: CarData }>(
        `mutation($id: ID!, $input: UpdateCarInput!) { updateCar(id: $id, input: $input) { ${CAR_FIELDS} } }`,
        { id: created.id, input: { version: 'R135', costCenterId: moved } },
      ),
    ).updateCar;
    expect(updated).toEqual({ ...created, version: 'R135', revision: 2, costCenter: { id: moved } });

    const deleted = dataOf(
      await car.query<{ deleteCar: string }>(`mutation($id: ID!) { deleteCar(id: $id) }`, { id: created.id }),
    );
    expect(deleted.deleteCar).toBe(created.id);
    const after = await car.query<{ car: CarData | null }>(`query($id: ID!) { car(id: $id) { id } }`, {
      id: created.id,
    });
    expect(after.data?.car).toBeNull();
  });

  it('resolves Car references by @key(id) through _entities, NOT_FOUND for unknown ones', async () => {
    const known = seedCars[3]!;
    const response = await car.query<{ _entities: (Pick<CarData, 'id' | 'brand'> | null)[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Car { id brand } } }`,
      {
        representations: [
          { __typename: 'Car', id: known.id },
          { __typename: 'Car', id: randomUUID() },
          { __typename: 'Car', id: 'not-an-id' },
        ],
      },
    );
    expect(response.data?._entities).toEqual([{ id: known.id, brand: known.brand }, null, null]);
    expect(errorCodesByPath(response)).toEqual([
      [['_entities', 1], 'NOT_FOUND'],
      [['_entities', 2], 'NOT_FOUND'],
    ]);
  });

  it('contributes CostCenter.cars for a CostCenter reference', async () => {
    const center = seedCostCenters[2]!;
    const response = dataOf(
      await car.query<{ _entities: { cars: { totalCount: number } }[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on CostCenter { cars { totalCount } } } }`,
        { representations: [{ __typename: 'CostCenter', id: center.id }] },
      ),
    );
    expect(response._entities[0]!.cars.totalCount).toBe(seedCars.filter((c) => c.costCenterId === center.id).length);
  });

  it.each([
    ['input.brand', { brand: '', model: 'Zoe', costCenterId: seedCostCenters[0]!.id }],
    ['input.model', { brand: 'Renault', model: 'x'.repeat(61), costCenterId: seedCostCenters[0]!.id }],
    ['input.costCenterId', { brand: 'Renault', model: 'Zoe', costCenterId: 'CC-PAR-001' }],
  ])('rejects an invalid %s without writing', async (field, input) => {
    const prisma = car.subgraph.prisma as PrismaClient;
    const before = await prisma.car.count();
    const response = await car.query(`mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`, {
      input,
    });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', grpcStatus: 3, field });
    expect(await prisma.car.count()).toBe(before);
  });

  it('reports an update or delete of an unknown car as NOT_FOUND', async () => {
    const id = randomUUID();
    const update = await car.query(`mutation($id: ID!) { updateCar(id: $id, input: { model: "X" }) { id } }`, { id });
    expect(update.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', grpcStatus: 5 });
    const remove = await car.query(`mutation($id: ID!) { deleteCar(id: $id) }`, { id });
    expect(remove.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', grpcStatus: 5 });
  });

  it('refuses a car for a cost center the cost-center subgraph does not know (FAILED_PRECONDITION)', async () => {
    const prisma = car.subgraph.prisma as PrismaClient;
    const before = await prisma.car.count();
    const unknown = randomUUID();
    const create = await car.query(`mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`, {
      input: { brand: 'Renault', model: 'Zoe', costCenterId: unknown },
    });
    expect(create.errors?.[0]?.extensions).toMatchObject({
      code: 'FAILED_PRECONDITION',
      grpcStatus: 9,
      field: 'input.costCenterId',
    });
    const move = await car.query(
      `mutation($id: ID!, $to: ID!) { updateCar(id: $id, input: { costCenterId: $to }) { id } }`,
      {
        id: seedCars[0]!.id,
        to: unknown,
      },
    );
    expect(move.errors?.[0]?.extensions?.code).toBe('FAILED_PRECONDITION');
    expect(await prisma.car.count()).toBe(before);
    expect((await prisma.car.findUnique({ where: { id: seedCars[0]!.id } }))?.costCenterId).toBe(
      seedCars[0]!.costCenterId,
    );
  });

  it('refuses an update whose expectedRevision is stale with ABORTED, writing nothing', async () => {
    const prisma = car.subgraph.prisma as PrismaClient;
    const target = seedCars[5]!;
    const { revision } = await prisma.car.findUniqueOrThrow({ where: { id: target.id } });
    const update = `mutation($id: ID!, $input: UpdateCarInput!) { updateCar(id: $id, input: $input) { model revision } }`;
    const ok = dataOf(
      await car.query<{ updateCar: { model: string; revision: number } }>(update, {
        id: target.id,
        input: { model: 'First', expectedRevision: revision },
      }),
    );
    expect(ok.updateCar).toEqual({ model: 'First', revision: revision + 1 });
    const stale = await car.query(update, { id: target.id, input: { model: 'Second', expectedRevision: revision } });
    expect(stale.errors?.[0]?.extensions).toMatchObject({
      code: 'ABORTED',
      grpcStatus: 10,
      expectedRevision: revision,
      currentRevision: revision + 1,
    });
    const row = await prisma.car.findUniqueOrThrow({ where: { id: target.id } });
    expect([row.model, row.revision]).toEqual(['First', revision + 1]);
  });

  it('fails closed with UNAVAILABLE when the cost-center subgraph cannot be asked', async () => {
    const prisma = car.subgraph.prisma as PrismaClient;
    const before = await prisma.car.count();
    await car.peers['cost-center']!.stop();
    const response = await car.query(`mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`, {
      input: { brand: 'Renault', model: 'Zoe', costCenterId: seedCostCenters[0]!.id },
    });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', grpcStatus: 14 });
    expect(await prisma.car.count()).toBe(before);
  });
});
