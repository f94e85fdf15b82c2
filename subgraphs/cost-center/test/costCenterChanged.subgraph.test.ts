import { encodeStreamCursor } from '@car-check/subgraph-kit';
import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import type { EventStreamReader } from '@car-check/test-support/eventStream';
import { dataOf } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

interface CostCenterChangeData {
  kind: 'CREATED' | 'UPDATED' | 'DELETED';
  revision: number;
  changedFields: string[];
  cursor: string;
  costCenterId: string;
  costCenter: { id: string; code: string; manager: { id: string } | null } | null;
}

const COST_CENTER_CHANGED = `subscription($after: String, $filter: CostCenterChangeFilter) {
  costCenterChanged(after: $after, filter: $filter) {
    kind revision changedFields cursor costCenterId costCenter { id code manager { id } }
  }
}`;

const changesOf = (stream: EventStreamReader): CostCenterChangeData[] =>
  stream.payloads.map((payload) => (payload.data as { costCenterChanged: CostCenterChangeData }).costCenterChanged);

describe('costCenterChanged: the cost-center subgraph streams its outbox', () => {
  let service: SubgraphUnderTest;
  const streams: EventStreamReader[] = [];

  beforeAll(async () => {
    service = await startSubgraphUnderTest('cost-center', ONE_BACKEND, { seed: true });
    for (const user of seedUsers) service.peers.user!.set('User', user.id);
    for (const center of seedCostCenters) service.peers.car!.set('CostCenter', center.id, { cars: { totalCount: 0 } });
  });
  afterAll(async () => {
    await Promise.all(streams.map((stream) => stream.close()));
    await service?.stop();
  });

  it('delivers creations, updates and deletions in commit order, filtered by manager', async () => {
    const prisma = service.subgraph.prisma as PrismaClient;
    const [row] = await prisma.$queryRaw<{ newest: bigint }[]>`SELECT MAX(sequence) AS newest FROM audit_event`;
    const after = encodeStreamCursor('cost-center', BigInt(row!.newest));
    const [first, second] = [seedUsers[1]!.id, seedUsers[2]!.id];
    const everything = await service.subscribe(COST_CENTER_CHANGED, { after });
    const ofFirst = await service.subscribe(COST_CENTER_CHANGED, { after, filter: { managerIds: [first] } });
    streams.push(everything, ofFirst);

    const id = dataOf(
      await service.query<{ createCostCenter: { id: string } }>(
        'mutation($input: CreateCostCenterInput!) { createCostCenter(input: $input) { id } }',
        { input: { code: 'CC-SUB-001', societyName: 'Live SA', managerId: second } },
      ),
    ).createCostCenter.id;
    const update = (input: Record<string, unknown>) =>
      service.query(
        'mutation($id: ID!, $input: UpdateCostCenterInput!) { updateCostCenter(id: $id, input: $input) { id } }',
        {
          id,
          input,
        },
      );
    dataOf(await update({ societyName: 'Live SAS' }));
    dataOf(await update({ managerId: first }));
    dataOf(await update({ societyName: 'Live Group' }));
    dataOf(await service.query('mutation($id: ID!) { deleteCostCenter(id: $id) }', { id }));

    await everything.waitForEvents(5);
    const all = changesOf(everything);
    expect(all.map((change) => [change.kind, change.revision])).toEqual([
      ['CREATED', 1],
      ['UPDATED', 2],
      ['UPDATED', 3],
      ['UPDATED', 4],
      ['DELETED', 5],
    ]);
    expect(all.every((change) => change.costCenterId === id)).toBe(true);
    expect(all.at(-1)!.costCenter).toBeNull();

    // The manager's own: the change that made them manager, the later ones while they are, the deletion.
    await ofFirst.waitForEvents(3);
    expect(changesOf(ofFirst).map((change) => [change.kind, change.changedFields.includes('managerId')])).toEqual([
      ['UPDATED', true],
      ['UPDATED', false],
      ['DELETED', true],
    ]);
  });
});
