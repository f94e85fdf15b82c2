import { seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { PrismaClient as CostCenterPrisma } from '../../subgraphs/cost-center/src/prisma';
import type { TestGraph } from './graph';
import { dataOf } from './graphql';
import { waitFor } from './waitFor';

/**
 * What the read-model tests share: the cost centers as their owner tells them
 * through the graph, the car subgraph's replica of them, and a stream of
 * changes made through the gateway that a test can interrupt (stop, kill) at
 * any point.
 */

/** Convergence of the replica on a loaded 2-core box: generous, and polled. */
export const CONVERGED = 120_000;

export const activeManagers = seedUsers.filter((user) => user.isActive).map((user) => user.id);

export interface OwnerCostCenter {
  id: string;
  code: string;
  societyName: string;
  revision: number;
  manager: { id: string } | null;
}

const carPrisma = (graph: TestGraph) => graph.subgraphs.car.prisma as CarPrisma;
const ownerPrisma = (graph: TestGraph) => graph.subgraphs['cost-center'].prisma as CostCenterPrisma;

/** Every cost center the owner has, through the graph, by id. */
export async function ownerCostCenters(graph: TestGraph): Promise<OwnerCostCenter[]> {
  const all: OwnerCostCenter[] = [];
  let after: string | null = null;
  for (;;) {
    const {
      costCenters,
    }: {
      costCenters: { edges: { node: OwnerCostCenter }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } = dataOf(
      await graph.query(
        `query($after: String) { costCenters(first: 100, after: $after) { edges { node { id code societyName revision manager { id } } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      ),
    );
    all.push(...costCenters.edges.map((edge) => edge.node));
    if (!costCenters.pageInfo.hasNextPage) return all.sort((a, b) => a.id.localeCompare(b.id));
    after = costCenters.pageInfo.endCursor;
  }
}

/** The live replica rows, as the owner would describe them. */
export async function replicaCostCenters(graph: TestGraph): Promise<OwnerCostCenter[]> {
  const rows = await carPrisma(graph).costCenterReplica.findMany({ where: { deleted: false }, orderBy: { id: 'asc' } });
  return rows.map((row) => ({
    id: row.id,
    code: row.code,
    societyName: row.societyName,
    revision: row.revision,
    manager: row.managerId ? { id: row.managerId } : null,
  }));
}

export const replicaConverged = async (graph: TestGraph): Promise<boolean> =>
  JSON.stringify(await replicaCostCenters(graph)) === JSON.stringify(await ownerCostCenters(graph));

/**
 * Every 250 ms rather than waitFor's 25: each check reads the whole replica and pages through every
 * cost center through the gateway (the owner's and the user subgraph's work too), and a wait lasts
 * seconds while a stream is applied.
 */
export const waitReplicaConverged = (graph: TestGraph): Promise<void> =>
  waitFor(() => replicaConverged(graph), CONVERGED, 'the replica to equal the owner’s cost centers', 250);

export const createCostCenter = async (
  graph: TestGraph,
  code: string,
  societyName: string,
  managerId: string,
): Promise<string> =>
  dataOf(
    await graph.query<{ createCostCenter: { id: string } }>(
      `mutation($code: String!, $name: String!, $m: ID!) { createCostCenter(input: { code: $code, societyName: $name, managerId: $m }) { id } }`,
      { code, name: societyName, m: managerId },
    ),
  ).createCostCenter.id;
export const updateCostCenter = async (graph: TestGraph, id: string, input: Record<string, string>): Promise<unknown> =>
  dataOf(
    await graph.query(
      `mutation($id: ID!, $input: UpdateCostCenterInput!) { updateCostCenter(id: $id, input: $input) { id } }`,
      { id, input },
    ),
  );
export const deleteCostCenter = async (graph: TestGraph, id: string): Promise<unknown> =>
  dataOf(await graph.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id }));

/**
 * How many changes an interrupted stream makes. The tests prove that a stop, a cut connection or a kill
 * loses and duplicates nothing: what matters is that each interruption lands with changes applied before
 * it and changes made while it lasts, which interruptionPoints and streamProgress make certain rather than
 * likely. 250 leaves about 55 updates around each of up to three interruptions (500 once did, and cost
 * twice the minutes: every change is a mutation through the gateway, and the replica must catch up on all).
 */
export const STREAM_CHANGES = 250;

/**
 * `count` indexes spread evenly among a stream's updates (after its 20 creations, before its 10
 * deletions), in order: where a test stops, cuts, kills or restarts something.
 */
export function interruptionPoints(count: number, total = STREAM_CHANGES): number[] {
  const updates = total - 30;
  return Array.from({ length: count }, (_, k) => 20 + Math.round((updates * (k + 1)) / (count + 1)));
}

/**
 * How far the replica has got with a stream's changes: each change of a cost center is one revision,
 * so the revisions of the stream's cost centers (codes `${prefix}-…`) summed in the replica (`applied`)
 * and at the owner (`made`). Before an interruption `applied > 0`; while one lasts `applied < made`.
 */
export async function streamProgress(graph: TestGraph, prefix: string): Promise<{ applied: number; made: number }> {
  const where = { code: { startsWith: `${prefix}-` } };
  const [replica, owner] = await Promise.all([
    carPrisma(graph).costCenterReplica.aggregate({ _sum: { revision: true }, where }),
    ownerPrisma(graph).costCenter.aggregate({ _sum: { revision: true }, where }),
  ]);
  return { applied: replica._sum.revision ?? 0, made: owner._sum.revision ?? 0 };
}

/**
 * Waits until the replica has applied some of the stream's changes: an interruption placed after this
 * lands in the middle of the stream's consumption, not before it began.
 */
export const waitSomeApplied = (graph: TestGraph, prefix: string): Promise<void> =>
  waitFor(
    async () => (await streamProgress(graph, prefix)).applied > 0,
    CONVERGED,
    `the replica to apply some of ${prefix}'s changes`,
  );

/** Checks that the replica is behind the owner on the stream: an interruption is under way. */
export async function expectSomeNotApplied(graph: TestGraph, prefix: string): Promise<void> {
  const { applied, made } = await streamProgress(graph, prefix);
  expect(applied).toBeGreaterThan(0);
  expect(applied).toBeLessThan(made);
}

export interface ChangeStream {
  /** The cost centers the stream created (the first 20 changes). */
  centers: string[];
  /** Those it deleted (its last 10 changes). */
  deleted: Set<string>;
}

/**
 * `total` changes through the gateway (20 creations, then updates of code,
 * society and manager, then 10 deletions), by four writers at a time;
 * `before(index)` runs before change `index` is sent (e.g. to stop or kill a
 * consumer there), in the order of the indexes.
 */
export async function runCostCenterChanges(
  graph: TestGraph,
  prefix: string,
  options: { total?: number; before?: (index: number) => Promise<void> | void } = {},
): Promise<ChangeStream> {
  const total = options.total ?? STREAM_CHANGES;
  // Four writers at a time, each change after the hook of its index; the updates once every cost
  // center exists, the deletions once every update has answered (none is written after its deletion).
  let index = 0;
  let hooks = Promise.resolve();
  const inParallel = async (changes: (() => Promise<unknown>)[]) => {
    let next = 0;
    const writer = async () => {
      while (next < changes.length) {
        const change = changes[next++]!;
        const at = index++;
        hooks = hooks.then(() => options.before?.(at));
        await hooks;
        await change();
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
  };
  const centers: string[] = [];
  await inParallel(
    Array.from({ length: 20 }, (_, i) => async () => {
      centers[i] = await createCostCenter(
        graph,
        `${prefix}-${i}`,
        `${prefix} ${i}`,
        activeManagers[i % activeManagers.length]!,
      );
    }),
  );
  const deleted = new Set<string>();
  const updates: (() => Promise<unknown>)[] = [];
  for (let i = 20; i < total - 10; i++) {
    const center = centers[i % centers.length]!;
    if (i % 3 === 0)
      updates.push(() =>
        updateCostCenter(graph, center, { managerId: activeManagers[(i + 1) % activeManagers.length]! }),
      );
    else
      updates.push(() =>
        updateCostCenter(graph, center, {
          code: `${prefix}-${i % centers.length}-${i}`,
          societyName: `${prefix} ${i}`,
        }),
      );
  }
  const deletions = centers.slice(0, 10).map((center) => async () => {
    await deleteCostCenter(graph, center);
    deleted.add(center);
  });
  await inParallel(updates);
  await inParallel(deletions);
  return { centers, deleted };
}

/**
 * After a stream: the replica holds each of its cost centers exactly as the
 * owner does (nothing lost), at the owner's revision (nothing applied twice or
 * skipped), deletions as tombstones at their deletion's revision, and none of its
 * events dead-lettered.
 */
export async function expectReplicaMatchesStream(graph: TestGraph, { centers, deleted }: ChangeStream): Promise<void> {
  await waitReplicaConverged(graph);
  const rows = await carPrisma(graph).costCenterReplica.findMany({ where: { id: { in: centers } } });
  expect(rows).toHaveLength(centers.length);
  expect(
    rows
      .filter((row) => row.deleted)
      .map((row) => row.id)
      .sort(),
  ).toEqual([...deleted].sort());
  const owner = new Map((await ownerCostCenters(graph)).map((center) => [center.id, center.revision]));
  for (const row of rows.filter((each) => !each.deleted))
    expect([row.id, row.revision]).toEqual([row.id, owner.get(row.id)]);
  const deletions = await ownerPrisma(graph).auditEvent.findMany({
    where: { entityId: { in: [...deleted] }, action: 'DELETE' },
  });
  for (const tombstone of rows.filter((each) => each.deleted)) {
    expect([tombstone.id, tombstone.revision]).toEqual([
      tombstone.id,
      deletions.find((event) => event.entityId === tombstone.id)?.revision,
    ]);
  }
  // None of the stream's events was dead-lettered (whatever other tests left there).
  const letters = await carPrisma(graph).$queryRaw<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM event_dead_letter WHERE event->>'subject' = ANY(${centers}::text[])`;
  expect(letters[0]?.n).toBe(0);
}
