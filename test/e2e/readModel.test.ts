import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type CloudEvent, developmentEventKey, EventSigner } from '@car-check/events';
import { COST_CENTER_REPLICA, rebuildCostCenterReplica } from '../../subgraphs/car/src/costCenterReplica';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { CarServices } from '../../subgraphs/car/src/server';
import { BACKENDS } from '@car-check/test-support/config';
import {
  activeManagers as managers,
  CONVERGED,
  createCostCenter as createCostCenterIn,
  deleteCostCenter as deleteCostCenterIn,
  expectReplicaMatchesStream,
  replicaCostCenters,
  expectSomeNotApplied,
  interruptionPoints,
  runCostCenterChanges,
  updateCostCenter as updateCostCenterIn,
  waitReplicaConverged,
  waitSomeApplied,
} from '@car-check/test-support/costCenterReplica';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { startFeedProxy } from '@car-check/test-support/feedProxy';
import { dataOf } from '@car-check/test-support/graphql';
import { TEST_SIGNING_SECRET, TEST_SIGNING_SECRET_TEXT } from '@car-check/test-support/secrets';
import { startSubgraphProcess } from '@car-check/test-support/subgraphProcess';
import { silentLogger } from '@car-check/test-support/subgraphs';
import { waitFor } from '@car-check/test-support/waitFor';
import { managementGet } from '@car-check/test-support/management';
import { forgedRename, MAX_SEQUENCE } from '@car-check/test-support/forgedEvents';

interface CarNode {
  id: string;
  brand: string;
  costCenter: { id: string; code: string; societyName: string; manager: { id: string } | null } | null;
}
interface Filter {
  costCenterCode?: string;
  societyName?: string;
  managerId?: string;
  brand?: string;
}
/** The highest sequence a cursor can hold (a PostgreSQL bigint). */
type Order = { field: 'CREATED_AT' | 'BRAND' | 'MODEL'; direction: 'ASC' | 'DESC' };

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
    // A fast poll for the consumer under test only: the report and webhook subgraphs' six consumers of
    // the owners' feeds keep their default, where polling as fast would only cost CPU.
    graph = await startGraph(backend, { seed: true, subgraphEnvOf: { car: { EVENTS_POLL_MS: '100' } } });
    // Generous: starting three subgraphs and a gateway on a loaded 2-core machine.
  }, 300_000);
  afterAll(async () => {
    await graph?.stop();
  });

  const replica = () => replicaCostCenters(graph);
  const waitConverged = () => waitReplicaConverged(graph);

  /** Every page of `cars(filter:, orderBy:)`, pages of `first`; checks totalCount on every page. */
  async function filtered(filter: Filter, order: Order, first = 7): Promise<CarNode[]> {
    const nodes: CarNode[] = [];
    let after: string | null = null;
    let total: number | null = null;
    for (;;) {
      const {
        cars,
      }: {
        cars: {
          totalCount: number;
          edges: { node: CarNode }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      } = dataOf(
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

  /**
   * What the filter should return: every car through the graph (`everyCar`: of the filter's brand, in
   * the order), filtered here.
   */
  async function expected(
    filter: Filter,
    order: Order,
    everyCar: (brand: string | undefined, order: Order) => Promise<CarNode[]>,
  ): Promise<CarNode[]> {
    const all = await everyCar(filter.brand, order);
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    return all.filter(
      ({ costCenter }) =>
        costCenter !== null &&
        (!filter.costCenterCode || same(costCenter.code, filter.costCenterCode)) &&
        (!filter.societyName || same(costCenter.societyName, filter.societyName)) &&
        (!filter.managerId || costCenter.manager?.id === filter.managerId),
    );
  }

  const createCostCenter = (code: string, societyName: string, managerId: string) =>
    createCostCenterIn(graph, code, societyName, managerId);
  const updateCostCenter = (id: string, input: Record<string, string>) => updateCostCenterIn(graph, id, input);
  const deleteCostCenter = (id: string) => deleteCostCenterIn(graph, id);
  const createCar = async (brand: string, model: string, costCenterId: string) =>
    dataOf(
      await graph.query(
        `mutation($b: String!, $m: String!, $cc: ID!) { createCar(input: { brand: $b, model: $m, costCenterId: $cc }) { id } }`,
        { b: brand, m: model, cc: costCenterId },
      ),
    );

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
    // Nothing changes while the filters are compared: every car of a brand in an order is read once, not
    // for each of the 36 comparisons (each read pages through all the cars, their cost centers and managers).
    const lists = new Map<string, Promise<CarNode[]>>();
    const everyCar = (brand: string | undefined, order: Order) => {
      const key = JSON.stringify([brand ?? null, order]);
      if (!lists.has(key)) lists.set(key, filtered(brand ? { brand } : {}, order, 100));
      return lists.get(key)!;
    };
    for (const filter of filters) {
      for (const order of orders) {
        const got = (await filtered(filter, order)).map((node) => node.id);
        const want = (await expected(filter, order, everyCar)).map((node) => node.id);
        expect([filter, order, got]).toEqual([filter, order, want]);
      }
    }
    // Not vacuous: the filters do select something, and not everything.
    expect((await filtered({ costCenterCode: 'RM-NORTH-2' }, orders[0]!)).length).toBe(3);
    expect((await filtered({ managerId: m2 }, orders[0]!)).map((node) => node.costCenter?.id).sort()).toEqual(
      [south, south].sort(),
    );
    expect(await filtered({ costCenterCode: 'RM-NORTH' }, orders[0]!)).toEqual([]);
  });

  it('rebuilds, from the full feed, exactly the replica it built event by event', async () => {
    // A tombstone of its own among the rows, whatever ran before.
    const gone = await createCostCenter('RM-REBUILD-GONE', 'Rebuild gone', managers[1]!);
    await deleteCostCenter(gone);
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUnique({ where: { id: gone } }))?.deleted === true,
      CONVERGED,
      'the tombstone',
    );
    await waitConverged();
    const snapshot = async () =>
      (await carPrisma().costCenterReplica.findMany({ orderBy: { id: 'asc' } })).map(
        ({ appliedAt: _appliedAt, ...row }) => row,
      );
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
    expect((await carPrisma().eventCursor.findUnique({ where: { consumer: COST_CENTER_REPLICA } }))?.position).toBe(
      cursor?.position,
    );
    // The running consumer carries on from the rebuilt cursor.
    const id = await createCostCenter('RM-AFTER-REBUILD', 'After rebuild', managers[1]!);
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null,
      CONVERGED,
      'the next event',
    );
  });

  it('applies only what its owner signed: a forged event in the feed is dead-lettered once, moves neither revision nor cursor, and shows as lag', async () => {
    await waitConverged();
    const id = await createCostCenter('RM-TARGET', 'Feed target', managers[1]!);
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null,
      CONVERGED,
      'the target in the replica',
    );
    const lettersBefore = await carPrisma().eventDeadLetter.count();
    const cursorBefore = (await carPrisma().eventCursor.findUniqueOrThrow({ where: { consumer: COST_CENTER_REPLICA } }))
      .position;
    // As in the incident: a rename at a revision no real update reaches, at the highest sequence there is.
    const forged = (): CloudEvent => forgedRename(id, 'RM-TARGET');
    const signerOf = (subgraph: string) =>
      new EventSigner(subgraph, developmentEventKey(TEST_SIGNING_SECRET, subgraph));
    const signed = signerOf('cost-center').sign(forged());
    // Unsigned; signed by the owner, then changed on the way; signed by the car subgraph, claiming to be the cost-center subgraph's.
    const injected: unknown[] = [
      forged(),
      { ...signed, data: { ...signed.data, revision: 2_000_000 } },
      signerOf('car').sign(forged()),
    ];
    const ids = injected.map((event) => (event as CloudEvent).id);
    // The car subgraph reaches the cost-center subgraph (its feed too) through a man in the middle who serves them on every read.
    const proxy = await startFeedProxy(graph.subgraphs['cost-center'].graphqlUrl, (after) =>
      after < MAX_SEQUENCE ? injected : [],
    );
    const config = graph.subgraphs.car.config;
    const peers = config.peers;
    config.peers = { ...peers, 'cost-center': proxy.graphqlUrl };
    // The read the consumer has open with the owner (held while there is nothing new) ends at the owner's next commit.
    await createCostCenter('RM-WAKE', 'Ends the held read', managers[1]!);
    const letters = () => carPrisma().eventDeadLetter.findMany({ where: { eventId: { in: ids } } });
    const status = async () =>
      (
        (await (await managementGet(graph.subgraphs.car.url, '/ready')).json()) as {
          consumers: Record<string, { deadLetters: number; lagSeconds: number | null }>;
        }
      ).consumers[COST_CENTER_REPLICA]!;
    try {
      await waitFor(
        async () =>
          (await letters()).length === ids.length ||
          (await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).code === 'FORGED',
        CONVERGED,
        'the forged events to be dead-lettered',
      );
      expect(await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).toMatchObject({
        code: 'RM-TARGET',
        revision: 1,
      });
      const errors = new Map((await letters()).map((letter) => [letter.eventId, letter.error]));
      expect([...ids.map((eventId) => errors.get(eventId))]).toEqual([
        expect.stringMatching(/^unsigned: /),
        expect.stringMatching(/^bad signature: /),
        expect.stringMatching(/^wrong source: signed by "car"/),
      ]);
      // Served again on every poll (nothing moved the cursor past them), yet dead-lettered once, and the consumer says it is behind.
      const polls = proxy.feedRequests();
      await waitFor(() => proxy.feedRequests() >= polls + 3, CONVERGED, 'more polls of the tampered feed');
      await waitFor(async () => ((await status()).lagSeconds ?? 0) > 0, CONVERGED, 'the lag to show');
      expect(await letters()).toHaveLength(ids.length);
      expect((await status()).deadLetters).toBe(lettersBefore + ids.length);
      const cursor = (await carPrisma().eventCursor.findUniqueOrThrow({ where: { consumer: COST_CENTER_REPLICA } }))
        .position;
      expect(cursor).toBeGreaterThanOrEqual(cursorBefore);
      expect(cursor).toBeLessThan(MAX_SEQUENCE);
    } finally {
      config.peers = peers;
      await proxy.stop();
    }
    // The owner's real updates still apply, at their own revisions.
    await updateCostCenter(id, { code: 'RM-TARGET-2' });
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).code === 'RM-TARGET-2',
      CONVERGED,
      'the real update',
    );
    expect(await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).toMatchObject({ revision: 2 });
    await waitFor(async () => (await status()).lagSeconds === 0, CONVERGED, 'the lag to clear');
  }, 180_000);

  if (backend === 'postgres') {
    it('`npm run events:rebuild -- --subgraph car` rebuilds it while the car subgraph runs, and `events:redrive` runs beside it (PostgreSQL)', async () => {
      await waitConverged();
      const before = await replica();
      // Other tests' dead letters (forgeries) stay refused.
      const letters = await carPrisma().eventDeadLetter.count({ where: { consumer: COST_CENTER_REPLICA } });
      const database = graph.subgraphs.car.config.database;
      if (database.kind !== 'postgres') throw new Error('expected PostgreSQL');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/events-rebuild.ts', '--subgraph', 'car'],
        {
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
        },
      );
      expect(stdout).toMatch(/car: read models rebuilt .*"cost-center-replica":\{"applied":\d+,"deadLetters":0/);
      // Its sibling, with no dead letter to apply again.
      const redrive = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/events-redrive.ts', '--subgraph', 'car'],
        {
          cwd: path.resolve(__dirname, '..', '..'),
          env: {
            PATH: process.env.PATH,
            CAR_DATABASE_URL: database.url,
            CAR_DATABASE_SCHEMA: database.schema,
            GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT,
            MIGRATE_ON_START: 'false',
            LOG_LEVEL: 'silent',
          },
          timeout: 120_000,
        },
      );
      expect(redrive.stdout).toMatch(
        new RegExp(
          `car: dead letters applied again .*\\{"cost-center-replica":\\{"redriven":0,"failing":${letters}\\}\\}`,
        ),
      );
      expect(await replica()).toEqual(before);
      const id = await createCostCenter('RM-AFTER-CLI', 'After the command', managers[2]!);
      await waitFor(
        async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null,
        CONVERGED,
        'the next event',
      );
      await waitConverged();
    }, 180_000);
  }

  it('loses and duplicates nothing when its consumer stops in the middle of a stream of changes and starts again', async () => {
    await waitConverged();
    // What other tests left (forgeries, refused for good): none of this stream's events may add to it.
    const lettersBefore = consumer().status().deadLetters;
    let readyWhileStopped: { status: number; body: { consumers: Record<string, { running: boolean }> } } | null = null;
    const [stopAt, readyAt, startAt] = interruptionPoints(3);
    const stream = await runCostCenterChanges(graph, 'RM-STOP', {
      before: async (index) => {
        if (index === stopAt) {
          await waitSomeApplied(graph, 'RM-STOP');
          await consumer().stop();
        }
        if (index === readyAt) {
          const response = await managementGet(graph.subgraphs.car.url, '/ready');
          readyWhileStopped = {
            status: response.status,
            body: (await response.json()) as { consumers: Record<string, { running: boolean }> },
          };
        }
        if (index === startAt) {
          await expectSomeNotApplied(graph, 'RM-STOP');
          consumer().start();
        }
      },
    });
    expect(stream.deleted.size).toBe(10);
    // A stopped (or lagging) consumer does not make the subgraph unready.
    expect(readyWhileStopped).toMatchObject({
      status: 200,
      body: { consumers: { [COST_CENTER_REPLICA]: { running: false } } },
    });
    await expectReplicaMatchesStream(graph, stream);
    const ready = await managementGet(graph.subgraphs.car.url, '/ready');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as {
      consumers: Record<string, { running: boolean; connected: boolean; lagSeconds: number; deadLetters: number }>;
    };
    expect(body.consumers[COST_CENTER_REPLICA]).toMatchObject({
      running: true,
      connected: true,
      lagSeconds: 0,
      deadLetters: lettersBefore,
    });
  }, 300_000);

  if (backend === 'postgres') {
    it('loses and duplicates nothing when the process applying the feed is killed (SIGKILL) in the middle of a stream of changes', async () => {
      await waitConverged();
      // Another car instance, a process of its own, is the one consuming; it dies mid-stream, without a shutdown.
      await consumer().stop();
      let instance = await startSubgraphProcess(graph, 'car', { EVENTS_POLL_MS: '100' });
      try {
        const [killAt, restartAt] = interruptionPoints(2);
        const stream = await runCostCenterChanges(graph, 'RM-KILL', {
          before: async (index) => {
            if (index === killAt) {
              await waitSomeApplied(graph, 'RM-KILL');
              await instance.kill();
            }
            if (index === restartAt) {
              await expectSomeNotApplied(graph, 'RM-KILL');
              instance = await startSubgraphProcess(graph, 'car', { EVENTS_POLL_MS: '100' });
            }
          },
        });
        await expectReplicaMatchesStream(graph, stream);
      } finally {
        await instance.stop();
        consumer().start();
      }
    }, 300_000);
  }
});
