import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { seedUsers } from '@car-check/common/demo';
import { COST_CENTER_REPLICA, rebuildCostCenterReplica } from '../../subgraphs/car/src/costCenterReplica';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { CarServices } from '../../subgraphs/car/src/server';
import type { PrismaClient as CostCenterPrisma } from '../../subgraphs/cost-center/src/prisma';
import { BACKENDS } from '../support/config';
import { startGraph, type TestGraph } from '../support/graph';
import { dataOf } from '../support/graphql';
import { TEST_SIGNING_SECRET, TEST_SIGNING_SECRET_TEXT } from '../support/secrets';
import { silentLogger } from '../support/subgraphs';
import { waitFor } from '../support/waitFor';

/** Convergence of the replica on a loaded 2-core box: generous, and polled. */
const CONVERGED = 60_000;

interface CarNode {
  id: string;
  brand: string;
  costCenter: { id: string; code: string; societyName: string; manager: { id: string } | null } | null;
}
interface OwnerCostCenter {
  id: string;
  code: string;
  societyName: string;
  revision: number;
  manager: { id: string } | null;
}
interface Filter {
  costCenterCode?: string;
  societyName?: string;
  managerId?: string;
  brand?: string;
}
type Order = { field: 'CREATED_AT' | 'BRAND' | 'MODEL'; direction: 'ASC' | 'DESC' };

const managers = seedUsers.filter((user) => user.isActive).map((user) => user.id);

/**
 * The first read model: the car subgraph's replica of the cost centers, fed by
 * the cost-center feed, and `cars(filter: { costCenterCode, societyName,
 * managerId })` answered from it. Compared with what the graph itself says.
 */
describe.each(BACKENDS)('the cost-center replica and the cars filters (%s)', (backend) => {
  let graph: TestGraph;
  const carPrisma = () => graph.subgraphs.car.prisma as CarPrisma;
  const consumer = () => (graph.subgraphs.car.services as CarServices).costCenterReplica;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true, subgraphEnv: { EVENTS_POLL_MS: '100' } });
  }, 120_000);
  afterAll(async () => {
    await graph?.stop();
  });

  /** Every cost center the owner has, through the graph. */
  async function ownerCostCenters(): Promise<OwnerCostCenter[]> {
    const all: OwnerCostCenter[] = [];
    let after: string | null = null;
    for (;;) {
      const { costCenters }: { costCenters: { edges: { node: OwnerCostCenter }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = dataOf(
        await graph.query(`query($after: String) { costCenters(first: 100, after: $after) { edges { node { id code societyName revision manager { id } } } pageInfo { hasNextPage endCursor } } }`, { after }),
      );
      all.push(...costCenters.edges.map((edge) => edge.node));
      if (!costCenters.pageInfo.hasNextPage) return all.sort((a, b) => a.id.localeCompare(b.id));
      after = costCenters.pageInfo.endCursor;
    }
  }

  /** The live replica rows, as the owner would describe them. */
  async function replica(): Promise<OwnerCostCenter[]> {
    const rows = await carPrisma().costCenterReplica.findMany({ where: { deleted: false }, orderBy: { id: 'asc' } });
    return rows.map((row) => ({ id: row.id, code: row.code, societyName: row.societyName, revision: row.revision, manager: row.managerId ? { id: row.managerId } : null }));
  }

  const converged = async () => JSON.stringify(await replica()) === JSON.stringify(await ownerCostCenters());
  const waitConverged = () => waitFor(converged, CONVERGED, 'the replica to equal the owner’s cost centers');

  /** Every page of `cars(filter:, orderBy:)`, pages of `first`; checks totalCount on every page. */
  async function filtered(filter: Filter, order: Order, first = 7): Promise<CarNode[]> {
    const nodes: CarNode[] = [];
    let after: string | null = null;
    let total: number | null = null;
    for (;;) {
      const { cars }: { cars: { totalCount: number; edges: { node: CarNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = dataOf(
        await graph.query(
          `query($filter: CarFilter, $orderBy: CarOrderBy, $first: Int, $after: String) {
            cars(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
              totalCount pageInfo { hasNextPage endCursor } edges { node { id brand costCenter { id code societyName manager { id } } } }
            }
          }`,
          { filter, orderBy: order, first, after },
        ),
      );
      total ??= cars.totalCount;
      expect(cars.totalCount).toBe(total);
      nodes.push(...cars.edges.map((edge) => edge.node));
      if (!cars.pageInfo.hasNextPage) break;
      after = cars.pageInfo.endCursor;
    }
    expect(nodes).toHaveLength(total ?? 0);
    return nodes;
  }

  /** What the filter should return: every car through the graph, filtered here. */
  async function expected(filter: Filter, order: Order): Promise<CarNode[]> {
    const all = await filtered({ ...(filter.brand ? { brand: filter.brand } : {}) }, order, 100);
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    return all.filter(
      ({ costCenter }) =>
        costCenter !== null &&
        (!filter.costCenterCode || same(costCenter.code, filter.costCenterCode)) &&
        (!filter.societyName || same(costCenter.societyName, filter.societyName)) &&
        (!filter.managerId || costCenter.manager?.id === filter.managerId),
    );
  }

  const createCostCenter = async (code: string, societyName: string, managerId: string) =>
    dataOf(
      await graph.query<{ createCostCenter: { id: string } }>(
        `mutation($code: String!, $name: String!, $m: ID!) { createCostCenter(input: { code: $code, societyName: $name, managerId: $m }) { id } }`,
        { code, name: societyName, m: managerId },
      ),
    ).createCostCenter.id;
  const updateCostCenter = async (id: string, input: Record<string, string>) =>
    dataOf(await graph.query(`mutation($id: ID!, $input: UpdateCostCenterInput!) { updateCostCenter(id: $id, input: $input) { id } }`, { id, input }));
  const deleteCostCenter = async (id: string) => dataOf(await graph.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id }));
  const createCar = async (brand: string, model: string, costCenterId: string) =>
    dataOf(await graph.query(`mutation($b: String!, $m: String!, $cc: ID!) { createCar(input: { brand: $b, model: $m, costCenterId: $cc }) { id } }`, { b: brand, m: model, cc: costCenterId }));

  it('has the seeded cost centers once it has read the feed', async () => {
    await waitConverged();
    expect((await replica()).length).toBeGreaterThanOrEqual(4);
  });

  it('answers costCenterCode, societyName and managerId exactly as filtering everything through the graph does', async () => {
    const [m1, m2, m3] = [managers[1]!, managers[2]!, managers[3]!];
    const north = await createCostCenter('RM-NORTH', 'Readmodel North', m1);
    const south = await createCostCenter('RM-SOUTH', 'Readmodel South', m1);
    const east = await createCostCenter('RM-EAST', 'Readmodel North', m2);
    const gone = await createCostCenter('RM-GONE', 'Readmodel Gone', m3);
    for (const [index, center] of [north, north, north, south, south, east].entries()) {
      await createCar(index % 2 ? 'Renault' : 'Peugeot', `RM ${index}`, center);
    }
    // Renamed, re-managed, renamed again, deleted: the replica follows.
    await updateCostCenter(north, { code: 'RM-NORTH-2', societyName: 'Readmodel Nord' });
    await updateCostCenter(south, { managerId: m2 });
    await updateCostCenter(east, { code: 'RM-EAST-2' });
    await updateCostCenter(east, { code: 'RM-EAST-3', managerId: m3 });
    await deleteCostCenter(gone);
    await waitConverged();

    const filters: Filter[] = [
      { costCenterCode: 'RM-NORTH-2' },
      { costCenterCode: 'rm-east-3' },
      { costCenterCode: 'RM-NORTH' },
      { costCenterCode: 'RM-GONE' },
      { societyName: 'Readmodel Nord' },
      { societyName: 'readmodel north' },
      { managerId: m1 },
      { managerId: m2 },
      { managerId: m3 },
      { managerId: managers[0]! },
      { managerId: m2, brand: 'renault' },
      { costCenterCode: 'RM-NORTH-2', societyName: 'Readmodel Nord', managerId: m1 },
    ];
    const orders: Order[] = [
      { field: 'CREATED_AT', direction: 'ASC' },
      { field: 'BRAND', direction: 'DESC' },
      { field: 'MODEL', direction: 'ASC' },
    ];
    for (const filter of filters) {
      for (const order of orders) {
        const got = (await filtered(filter, order)).map((node) => node.id);
        const want = (await expected(filter, order)).map((node) => node.id);
        expect([filter, order, got]).toEqual([filter, order, want]);
      }
    }
    // Not vacuous: the filters do select something, and not everything.
    expect((await filtered({ costCenterCode: 'RM-NORTH-2' }, orders[0]!)).length).toBe(3);
    expect((await filtered({ managerId: m2 }, orders[0]!)).map((node) => node.costCenter?.id).sort()).toEqual([south, south].sort());
    expect(await filtered({ costCenterCode: 'RM-NORTH' }, orders[0]!)).toEqual([]);
  });

  it('rebuilds, from the full feed, exactly the replica it built event by event', async () => {
    await waitConverged();
    const snapshot = async () =>
      (await carPrisma().costCenterReplica.findMany({ orderBy: { id: 'asc' } })).map(({ appliedAt: _appliedAt, ...row }) => row);
    const incremental = await snapshot();
    const cursor = await carPrisma().eventCursor.findUnique({ where: { consumer: COST_CENTER_REPLICA } });
    expect(incremental.some((row) => row.deleted)).toBe(true);

    const report = await rebuildCostCenterReplica({
      prisma: carPrisma(),
      log: silentLogger('car'),
      config: graph.subgraphs.car.config,
      signingSecret: TEST_SIGNING_SECRET,
    });
    expect(report.deadLetters).toBe(0);
    expect(report.applied).toBeGreaterThanOrEqual(incremental.length);
    expect(await snapshot()).toEqual(incremental);
    expect((await carPrisma().eventCursor.findUnique({ where: { consumer: COST_CENTER_REPLICA } }))?.position).toBe(cursor?.position);
    // The running consumer carries on from the rebuilt cursor.
    const id = await createCostCenter('RM-AFTER-REBUILD', 'After rebuild', managers[1]!);
    await waitFor(async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null, CONVERGED, 'the next event');
  });

  if (backend === 'postgres') {
    it('`npm run events:rebuild -- --subgraph car` rebuilds it while the car subgraph runs (PostgreSQL)', async () => {
      await waitConverged();
      const before = await replica();
      const database = graph.subgraphs.car.config.database;
      if (database.kind !== 'postgres') throw new Error('expected PostgreSQL');
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/events-rebuild.ts', '--subgraph', 'car'], {
        cwd: path.resolve(__dirname, '..', '..'),
        env: {
          PATH: process.env.PATH,
          CAR_DATABASE_URL: database.url,
          CAR_DATABASE_SCHEMA: database.schema,
          COST_CENTER_SUBGRAPH_URL: graph.subgraphs['cost-center'].graphqlUrl,
          GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT,
          MIGRATE_ON_START: 'false',
          LOG_LEVEL: 'silent',
        },
        timeout: 120_000,
      });
      expect(stdout).toMatch(/car: read models rebuilt .*"cost-center-replica":\{"applied":\d+,"deadLetters":0/);
      expect(await replica()).toEqual(before);
      const id = await createCostCenter('RM-AFTER-CLI', 'After the command', managers[2]!);
      await waitFor(async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null, CONVERGED, 'the next event');
      await waitConverged();
    }, 180_000);
  }

  it('loses and duplicates nothing when its consumer stops in the middle of 200 changes and starts again', async () => {
    await waitConverged();
    const centers: string[] = [];
    for (let i = 0; i < 20; i++) centers.push(await createCostCenter(`RM-LOAD-${i}`, `Load ${i}`, managers[i % managers.length]!));
    const deleted = new Set<string>();
    const changes: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 180; i++) {
      const center = centers[i % centers.length]!;
      if (i >= 170) {
        changes.push(async () => {
          await deleteCostCenter(center);
          deleted.add(center);
        });
      } else if (i % 3 === 0) {
        changes.push(() => updateCostCenter(center, { managerId: managers[(i + 1) % managers.length]! }));
      } else {
        changes.push(() => updateCostCenter(center, { code: `RM-LOAD-${i % centers.length}-${i}`, societyName: `Load ${i}` }));
      }
    }
    // Four writers at a time; the consumer stops after a quarter, and starts again at three quarters.
    let next = 0;
    let readyWhileStopped: { status: number; body: { consumers: Record<string, { running: boolean }> } } | null = null;
    const writer = async () => {
      while (next < changes.length) {
        const index = next++;
        if (index === 45) await consumer().stop();
        if (index === 90) {
          const response = await fetch(`${graph.subgraphs.car.url}/ready`);
          readyWhileStopped = { status: response.status, body: (await response.json()) as { consumers: Record<string, { running: boolean }> } };
        }
        if (index === 135) consumer().start();
        await changes[index]!();
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    expect(deleted.size).toBe(10);
    // A stopped (or lagging) consumer does not make the subgraph unready.
    expect(readyWhileStopped).toMatchObject({ status: 200, body: { consumers: { [COST_CENTER_REPLICA]: { running: false } } } });

    await waitConverged();
    const rows = await carPrisma().costCenterReplica.findMany({ where: { id: { in: centers } } });
    expect(rows).toHaveLength(centers.length);
    expect(rows.filter((row) => row.deleted).map((row) => row.id).sort()).toEqual([...deleted].sort());
    // Each event applied once, none skipped: the revisions are the owner's (a tombstone's is one past its last).
    const owner = new Map((await ownerCostCenters()).map((center) => [center.id, center.revision]));
    for (const row of rows.filter((each) => !each.deleted)) expect([row.id, row.revision]).toEqual([row.id, owner.get(row.id)]);
    const last = await (graph.subgraphs['cost-center'].prisma as CostCenterPrisma).auditEvent.findMany({ where: { entityId: { in: [...deleted] }, action: 'DELETE' } });
    for (const tombstone of rows.filter((each) => each.deleted)) {
      expect(tombstone.revision).toBe(last.find((event) => event.entityId === tombstone.id)?.revision);
    }
    expect(await carPrisma().eventDeadLetter.count()).toBe(0);
    const ready = await fetch(`${graph.subgraphs.car.url}/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { consumers: Record<string, { running: boolean; connected: boolean; lagSeconds: number; deadLetters: number }> };
    expect(body.consumers[COST_CENTER_REPLICA]).toMatchObject({ running: true, connected: true, lagSeconds: 0, deadLetters: 0 });
  });
});
