import { randomUUID } from 'node:crypto';
import { seedCars, seedCostCenters } from '../../../common/seed/fleet';
import { BACKENDS } from '../../../test/support/config';
import { dataOf } from '../../../test/support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '../../../test/support/subgraphHarness';
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
  });
  afterAll(async () => {
    await car?.stop();
  });

  it('creates, reads, updates and deletes a car', async () => {
    const costCenterId = seedCostCenters[0]!.id;
    const created = dataOf(
      await car.query<{ createCar: CarData }>(`mutation($input: CreateCarInput!) { createCar(input: $input) { ${CAR_FIELDS} } }`, {
        input: { brand: '  Renault ', model: 'Zoe', costCenterId },
      }),
    ).createCar;
    expect(created).toMatchObject({ brand: 'Renault', model: 'Zoe', version: null, revision: 1, costCenter: { id: costCenterId } });

    const read = dataOf(await car.query<{ car: CarData }>(`query($id: ID!) { car(id: $id) { ${CAR_FIELDS} } }`, { id: created.id }));
    expect(read.car).toEqual(created);

    const moved = seedCostCenters[1]!.id;
    const updated = dataOf(
      await car.query<{ updateCar: CarData }>(
        `mutation($id: ID!, $input: UpdateCarInput!) { updateCar(id: $id, input: $input) { ${CAR_FIELDS} } }`,
        { id: created.id, input: { version: 'R135', costCenterId: moved } },
      ),
    ).updateCar;
    expect(updated).toEqual({ ...created, version: 'R135', revision: 2, costCenter: { id: moved } });

    const deleted = dataOf(await car.query<{ deleteCar: string }>(`mutation($id: ID!) { deleteCar(id: $id) }`, { id: created.id }));
    expect(deleted.deleteCar).toBe(created.id);
    const after = await car.query<{ car: CarData | null }>(`query($id: ID!) { car(id: $id) { id } }`, { id: created.id });
    expect(after.data?.car).toBeNull();
  });

  it('resolves Car references by @key(id) through _entities, null for unknown ones', async () => {
    const known = seedCars[3]!;
    const response = dataOf(
      await car.query<{ _entities: (Pick<CarData, 'id' | 'brand'> | null)[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Car { id brand } } }`,
        {
          representations: [
            { __typename: 'Car', id: known.id },
            { __typename: 'Car', id: randomUUID() },
            { __typename: 'Car', id: 'not-an-id' },
          ],
        },
      ),
    );
    expect(response._entities).toEqual([{ id: known.id, brand: known.brand }, null, null]);
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
    const response = await car.query(`mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`, { input });
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
});
