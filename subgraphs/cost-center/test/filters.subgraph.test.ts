import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

// Society names with LIKE's metacharacters, beside the seeded cost centers.
const SPECIAL = [
  { code: 'CC-PCT-901', societyName: 'Acme 100% Green' },
  { code: 'CC-UND-902', societyName: 'Acme_Underscore' },
  { code: 'CC-BSL-903', societyName: 'Acme Back\\Slash' },
];

const NAMES = `query($filter: CostCenterFilter) { costCenters(first: 100, filter: $filter) { totalCount edges { node { societyName } } } }`;

describe.each(BACKENDS)('cost-center filters match user text literally (%s)', (backend) => {
  let service: SubgraphUnderTest;

  beforeAll(async () => {
    service = await startSubgraphUnderTest('cost-center', backend, { seed: true });
    const prisma = service.subgraph.prisma as PrismaClient;
    await prisma.costCenter.createMany({ data: SPECIAL.map((center) => ({ ...center, managerId: seedUsers[0]!.id })) });
  });
  afterAll(async () => {
    await service?.stop();
  });

  async function matches(societyName: string): Promise<string[]> {
    const { costCenters } = dataOf(
      await service.query<{ costCenters: { totalCount: number; edges: { node: { societyName: string } }[] } }>(NAMES, {
        filter: { societyName },
      }),
    );
    expect(costCenters.edges).toHaveLength(costCenters.totalCount);
    return costCenters.edges.map(({ node }) => node.societyName).sort();
  }

  it.each([
    ['%', ['Acme 100% Green']],
    ['_', ['Acme_Underscore']],
    ['\\', ['Acme Back\\Slash']],
    ['0% g', ['Acme 100% Green']],
    ['e_u', ['Acme_Underscore']],
    ['k\\s', ['Acme Back\\Slash']],
    ['%%', []],
    ['a_me', []],
  ])('societyName %j matches only the names containing it', async (societyName, expected) => {
    expect(await matches(societyName)).toEqual(expected);
  });

  it('plain text stays a case-insensitive substring', async () => {
    expect(await matches('LYON')).toEqual(
      seedCostCenters.filter((c) => c.societyName.includes('Lyon')).map((c) => c.societyName),
    );
  });
});
