import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isLeafType, buildASTSchema, getNamedType, isObjectType, parse } from 'graphql';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

/**
 * Every leaf field of `Car` in the SDL the subgraph serves (with the shared types), so a field added with its column (`color`) is
 * asked for here without editing this test. Federation's directives are not needed to read types.
 */
function carLeafFields(): string[] {
  const sdl = readFileSync(path.join(__dirname, '..', 'src', '__generated__', 'schema.graphql'), 'utf8');
  const schema = buildASTSchema(parse(sdl), { assumeValid: true, assumeValidSDL: true });
  const car = schema.getType('Car');
  if (!isObjectType(car)) throw new Error('the car subgraph has no Car type');
  return Object.values(car.getFields())
    .filter((field) => field.args.length === 0 && isLeafType(getNamedType(field.type)))
    .map((field) => field.name);
}

type CarFields = Record<string, unknown>;
interface Page {
  edges: { node: CarFields }[];
}

/**
 * A column is one change: `car(id:)` reads through Prisma, while `CostCenter.cars` (loaders.ts)
 * and `cars(filter: { costCenterCode })` (carsByCostCenter.ts) read through hand-written SQL.
 * A column those statements left out came back null there although the car had a value.
 */
describe.each(BACKENDS)('every column of a car reaches clients through each way of reading it (%s)', (backend) => {
  let car: SubgraphUnderTest;
  const costCenter = { id: randomUUID(), code: `COLUMNS-${randomUUID().slice(0, 8)}` };
  const fields = carLeafFields().join(' ');
  let created: CarFields;

  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', backend);
    car.peers['cost-center']!.set('CostCenter', costCenter.id);
    // What the cost-center subgraph's events would have written (see costCenterReplica.ts).
    await (car.subgraph.prisma as PrismaClient).costCenterReplica.create({
      data: { id: costCenter.id, code: costCenter.code, societyName: 'Columns Ltd', revision: 1 },
    });
    created = dataOf(
      await car.query<{ createCar: CarFields }>(
        `mutation($input: CreateCarInput!) { createCar(input: $input) { ${fields} } }`,
        {
          // Every nullable column set, so none can pass for a value left out.
          input: { brand: 'Renault', model: 'Clio', version: 'TCe 90', costCenterId: costCenter.id },
        },
      ),
    ).createCar;
    // A fresh database and a subgraph start, on 2 cores shared with other suites.
  }, 180_000);
  afterAll(async () => {
    await car?.stop();
  });

  it('asks for every leaf field of Car, nullable ones set', () => {
    expect(fields.split(' ')).toEqual(
      expect.arrayContaining(['id', 'brand', 'model', 'version', 'createdAt', 'revision']),
    );
    expect(created).toMatchObject({ version: 'TCe 90' });
  });

  it('car(id:), read by Prisma, has them all', async () => {
    const { car: read } = dataOf(
      await car.query<{ car: CarFields }>(`query($id: ID!) { car(id: $id) { ${fields} } }`, { id: created.id }),
    );
    expect(read).toEqual(created);
  });

  it('CostCenter.cars, read by SQL per cost center (loaders.ts), has them all', async () => {
    const response = dataOf(
      await car.query<{ _entities: { cars: Page }[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on CostCenter { cars { edges { node { ${fields} } } } } } }`,
        { representations: [{ __typename: 'CostCenter', id: costCenter.id }] },
      ),
    );
    expect(response._entities[0]!.cars.edges.map((edge) => edge.node)).toEqual([created]);
  });

  it("cars filtered by the cost center's code, read by SQL on the replica (carsByCostCenter.ts), has them all", async () => {
    const { cars } = dataOf(
      await car.query<{ cars: Page }>(
        `query($filter: CarFilter) { cars(filter: $filter) { edges { node { ${fields} } } } }`,
        {
          filter: { costCenterCode: costCenter.code },
        },
      ),
    );
    expect(cars.edges.map((edge) => edge.node)).toEqual([created]);
  });
});
