import { seedCars } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

// Cars whose brand or model contains LIKE's metacharacters, beside the seeded fleet.
const SPECIAL = [
  { brand: 'Percent%Motors', model: 'One' },
  { brand: 'Under_Score', model: 'Two' },
  { brand: 'Back\\Slash', model: 'Three' },
  { brand: 'Plain', model: '50% off' },
];

const BRANDS = `query($filter: CarFilter) { cars(first: 100, filter: $filter) { totalCount edges { node { brand model } } } }`;

describe.each(BACKENDS)('car filters match user text literally (%s)', (backend) => {
  let car: SubgraphUnderTest;

  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', backend, { seed: true });
    const prisma = car.subgraph.prisma as PrismaClient;
    await prisma.car.createMany({ data: SPECIAL });
  });
  afterAll(async () => {
    await car?.stop();
  });

  async function matches(filter: Record<string, string>): Promise<string[]> {
    const { cars } = dataOf(
      await car.query<{ cars: { totalCount: number; edges: { node: { brand: string; model: string } }[] } }>(BRANDS, {
        filter,
      }),
    );
    expect(cars.edges).toHaveLength(cars.totalCount);
    return cars.edges.map(({ node }) => `${node.brand} ${node.model}`).sort();
  }

  it.each([
    ['%', ['Percent%Motors One', 'Plain 50% off']],
    ['_', ['Under_Score Two']],
    ['\\', ['Back\\Slash Three']],
    ['t%m', ['Percent%Motors One']],
    ['r_s', ['Under_Score Two']],
    ['k\\s', ['Back\\Slash Three']],
    ['0%', ['Plain 50% off']],
  ])('search %j matches only cars containing it', async (search, expected) => {
    expect(await matches({ search })).toEqual(expected);
  });

  it('a search that is only wildcards to LIKE matches nothing when no car contains it', async () => {
    expect(await matches({ search: '%%' })).toEqual([]);
    expect(await matches({ search: '__' })).toEqual([]);
    expect(await matches({ search: 'R_nault' })).toEqual([]);
  });

  it('plain searches stay case-insensitive substrings', async () => {
    expect(await matches({ search: 'GOL' })).toHaveLength(seedCars.filter((c) => c.model === 'Golf').length);
    expect(await matches({ search: 'percent%' })).toEqual(['Percent%Motors One']);
  });

  it.each([
    ['%', []],
    ['_', []],
    ['R_nault', []],
    ['under_score', ['Under_Score Two']],
    ['back\\slash', ['Back\\Slash Three']],
    ['percent%motors', ['Percent%Motors One']],
  ])('brand %j is an exact, case-insensitive match', async (brand, expected) => {
    expect(await matches({ brand })).toEqual(expected);
  });
});
