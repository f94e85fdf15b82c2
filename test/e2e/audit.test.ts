import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';

interface Event {
  action: string;
  actorId: string | null;
  requestId: string;
  at: string;
  changes: { field: string; from: string | null; to: string | null }[];
}
const HISTORY = 'history { totalCount edges { node { action actorId requestId at changes { field from to } } } }';
const admin = seedUsers.find((user) => user.username === 'admin')!;

describe.each(BACKENDS)('the audit trail (%s)', (backend) => {
  let graph: TestGraph;
  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it('records every change with actor, request id and old and new values, newest first', async () => {
    const creation = await graph.query<{ createCar: { id: string } }>(
      `mutation($cc: ID!) { createCar(input: { brand: "Audi", model: "Q4", costCenterId: $cc }) { id } }`,
      { cc: seedCostCenters[0]!.id },
      { 'x-request-id': 'audit-create-1' },
    );
    const created = dataOf(creation).createCar;
    const update = await graph.query(
      `mutation($id: ID!) { updateCar(id: $id, input: { model: "Q4 e-tron", version: "45" }) { id } }`,
      { id: created.id },
      {
        'x-request-id': 'audit-update-1',
      },
    );
    const { car } = dataOf(
      await graph.query<{ car: { history: { totalCount: number; edges: { node: Event }[] } } }>(
        `query($id: ID!) { car(id: $id) { ${HISTORY} } }`,
        { id: created.id },
      ),
    );
    expect(car.history.totalCount).toBe(2);
    const [updated, create] = car.history.edges.map((edge) => edge.node);
    // The request id is the server's (the one it answered with); the client's is kept apart.
    expect(updated).toMatchObject({
      action: 'UPDATE',
      actorId: admin.id,
      requestId: update.headers.get('x-request-id'),
      changes: [
        { field: 'model', from: '"Q4"', to: '"Q4 e-tron"' },
        { field: 'version', from: null, to: '"45"' },
      ],
    });
    expect(create).toMatchObject({
      action: 'CREATE',
      actorId: admin.id,
      requestId: creation.headers.get('x-request-id'),
    });
    expect(create!.changes).toEqual(
      expect.arrayContaining([
        { field: 'brand', from: null, to: '"Audi"' },
        { field: 'costCenterId', from: null, to: JSON.stringify(seedCostCenters[0]!.id) },
      ]),
    );
    expect(Date.parse(updated!.at)).toBeGreaterThanOrEqual(Date.parse(create!.at));

    await graph.query(`mutation($id: ID!) { deleteCar(id: $id) }`, { id: created.id });
    const rows = await (graph.subgraphs.car.prisma as CarPrisma).auditEvent.findMany({
      where: { entityId: created.id },
      orderBy: { at: 'asc' },
    });
    expect(rows.map((row) => row.action)).toEqual(['CREATE', 'UPDATE', 'DELETE']);
    expect(rows.map((row) => row.clientRequestId)).toEqual(['audit-create-1', 'audit-update-1', null]);
  });

  it("never takes a client-chosen request id as the record's: two writes sent with the same x-request-id get two server ids, each keeping the client's", async () => {
    const clientRequestId = 'INC-4711-from-admin';
    const create = (model: string) =>
      graph.query<{ createCar: { id: string } }>(
        `mutation($cc: ID!, $model: String!) { createCar(input: { brand: "Audi", model: $model, costCenterId: $cc }) { id } }`,
        { cc: seedCostCenters[0]!.id, model },
        { 'x-request-id': clientRequestId },
      );
    const answers = [await create('Same id 1'), await create('Same id 2')];
    const ids = answers.map((answer) => dataOf(answer).createCar.id);
    const rows = await (graph.subgraphs.car.prisma as CarPrisma).auditEvent.findMany({
      where: { entityId: { in: ids } },
    });
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.requestId)).size).toBe(2);
    expect(rows.map((row) => row.requestId).sort()).toEqual(
      answers.map((answer) => answer.headers.get('x-request-id')).sort(),
    );
    expect(rows.map((row) => row.clientRequestId)).toEqual([clientRequestId, clientRequestId]);
  });

  it('a failed mutation writes neither a change nor an audit record', async () => {
    const center = seedCostCenters[3]!;
    const before = dataOf(
      await graph.query<{ costCenter: { revision: number; history: { totalCount: number } } }>(
        `query($id: ID) { costCenter(id: $id) { revision history { totalCount } } }`,
        { id: center.id },
      ),
    ).costCenter;
    const stale = await graph.query(
      `mutation($id: ID!, $rev: Int) { updateCostCenter(id: $id, input: { societyName: "Stale", expectedRevision: $rev }) { id } }`,
      {
        id: center.id,
        rev: before.revision + 5,
      },
    );
    expect(errorCodesByPath(stale)).toEqual([[['updateCostCenter'], 'ABORTED']]);
    const invalid = await graph.query(
      `mutation($id: ID!) { updateCostCenter(id: $id, input: { code: "not valid" }) { id } }`,
      { id: center.id },
    );
    expect(errorCodesByPath(invalid)).toEqual([[['updateCostCenter'], 'INVALID_ARGUMENT']]);
    const after = dataOf(
      await graph.query<{ costCenter: { revision: number; history: { totalCount: number } } }>(
        `query($id: ID) { costCenter(id: $id) { revision history { totalCount } } }`,
        { id: center.id },
      ),
    ).costCenter;
    expect(after).toEqual(before);
  });

  it('records that a password changed, never the password or its hash', async () => {
    const user = seedUsers.find((u) => u.username === 'tom.leroy')!;
    await graph.query(
      `mutation($id: ID!) { updateUser(id: $id, input: { password: "a-brand-new-password" }) { id } }`,
      { id: user.id },
    );
    const { user: read } = dataOf(
      await graph.query<{ user: { history: { edges: { node: Event }[] } } }>(
        `query($id: ID!) { user(id: $id) { ${HISTORY} } }`,
        { id: user.id },
      ),
    );
    const change = read.history.edges[0]!.node;
    expect(change.changes).toEqual([{ field: 'password', from: '"[redacted]"', to: '"[redacted]"' }]);
    expect(JSON.stringify(read)).not.toMatch(/a-brand-new-password|scrypt|passwordHash/);
  });

  it('records sign-ins, and is readable only with the audit:read scope', async () => {
    await graph.login('viewer');
    const viewer = seedUsers.find((u) => u.username === 'viewer')!;
    const { user } = dataOf(
      await graph.query<{ user: { history: { edges: { node: Event }[] } } }>(
        `query($id: ID!) { user(id: $id) { ${HISTORY} } }`,
        { id: viewer.id },
      ),
    );
    expect(user.history.edges[0]!.node).toMatchObject({ action: 'LOGIN', actorId: viewer.id });
    const denied = await graph.as('manager')(`query($id: ID!) { user(id: $id) { username history { totalCount } } }`, {
      id: viewer.id,
    });
    // Only the denied history is null; the user is returned.
    expect(denied.data).toEqual({ user: { username: viewer.username, history: null } });
    expect(errorCodesByPath(denied)).toEqual([[['user', 'history'], 'PERMISSION_DENIED']]);
  });
});
