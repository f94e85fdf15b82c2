import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { ONE_BACKEND as backend } from '@car-check/test-support/config';
import { startGraph, type GraphSubgraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { waitFor } from '@car-check/test-support/waitFor';

const DEEP_QUERY = `query($first: Int) {
  cars(first: $first) {
    edges { node { brand costCenter { code manager { username managedCostCenters { code } } } } }
  }
}`;

/**
 * On one backend: the number of statements is decided by the resolvers' DataLoaders, which send
 * the same statements to PGlite and to PostgreSQL.
 */
describe(`batching: SQL statements per request do not grow with the items (${backend})`, () => {
  let graph: TestGraph;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
    // 40 seeded cars plus 80 more, so that a page of 100 is full.
    const prisma = graph.subgraphs.car.prisma as CarPrisma;
    await prisma.car.createMany({
      data: Array.from({ length: 80 }, (_, i) => ({
        brand: 'Kia',
        model: `Niro ${i}`,
        costCenterId: seedCostCenters[i % seedCostCenters.length]!.id,
      })),
    });
    // Sign in before counting: the login's own statements are not the query's.
    await graph.query('{ me { id } }');
    // Nor are those of the car subgraph's replica applying the seeded cost centers' events (idle, it runs none).
    await waitFor(
      async () => (await prisma.costCenterReplica.count()) === seedCostCenters.length,
      60_000,
      'the cost-center replica',
    );
    // Nor are those of the webhook and report subgraphs reading the owners' feeds in the background (each
    // poll of the car's feed is a statement on the car's database): they take no part in these queries.
    await graph.stopSubgraph('webhook');
    await graph.stopSubgraph('report');
  }, 120_000);
  afterAll(async () => {
    await graph?.stop();
  });

  type Counts = Record<Exclude<GraphSubgraph, 'webhook' | 'report'>, number>;

  async function statementsFor(first: number): Promise<Counts> {
    for (const subgraph of Object.values(graph.subgraphs)) subgraph.statements.reset();
    const data = dataOf(
      await graph.query<{ cars: { edges: { node: { costCenter: { manager: unknown } } }[] } }>(DEEP_QUERY, { first }),
    );
    expect(data.cars.edges).toHaveLength(first);
    expect(data.cars.edges.every((edge) => edge.node.costCenter.manager)).toBe(true);
    // Not part of the query, and coming and going on their own clock: the gateway's token-status
    // checks (cached) and the car subgraph's polls of the cost-center event feed (audit_event).
    const ofQuery = (name: Exclude<GraphSubgraph, 'webhook' | 'report'>) =>
      graph.subgraphs[name].statements.statements.filter(
        (sql) => !sql.includes('auth_token') && !sql.includes('audit_event'),
      ).length;
    return { car: ofQuery('car'), 'cost-center': ofQuery('cost-center'), user: ofQuery('user') };
  }

  /**
   * The fewest statements each subgraph ran for the query over three runs: other work of the
   * services (background jobs on their own clock) only ever adds statements to a run, while the
   * query's own are the same every time, so a count that grows with the items still shows.
   */
  async function fewestFor(first: number): Promise<Counts> {
    const runs: Counts[] = [];
    for (let run = 0; run < 3; run += 1) runs.push(await statementsFor(first));
    const fewest = (name: keyof Counts) => Math.min(...runs.map((counts) => counts[name]));
    return { car: fewest('car'), 'cost-center': fewest('cost-center'), user: fewest('user') };
  }

  it('costs each subgraph the same small number of statements for 10 cars as for 100', async () => {
    const ten = await fewestFor(10);
    const hundred = await fewestFor(100);
    expect(hundred).toEqual(ten);
    // cars page + count; cost centers by id, then by manager; users by id.
    for (const count of Object.values(hundred)) expect(count).toBeLessThanOrEqual(3);
    for (const count of Object.values(hundred)) expect(count).toBeGreaterThan(0);
  });

  it('batches a cost center list’s cars into a constant number of statements', async () => {
    const query = `{ costCenters(first: 5) { edges { node { code cars(first: 3) { totalCount edges { node { id } } } } } } }`;
    const counts: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      graph.subgraphs.car.statements.reset();
      const data = dataOf(
        await graph.query<{ costCenters: { edges: { node: { cars: { edges: unknown[] } } }[] } }>(query),
      );
      expect(data.costCenters.edges).toHaveLength(seedCostCenters.length);
      expect(data.costCenters.edges.every((edge) => edge.node.cars.edges.length === 3)).toBe(true);
      // Not part of the query, as above: a feed read on the car's outbox (audit_event), e.g. the last
      // look of a read held for the report or webhook subgraph when beforeAll stopped it.
      counts.push(graph.subgraphs.car.statements.statements.filter((sql) => !sql.includes('audit_event')).length);
    }
    // One windowed page query and one grouped count, whatever the number of cost centers: the
    // fewest of three runs, as above.
    expect(Math.min(...counts)).toBe(2);
  });
});
