import { randomUUID } from 'node:crypto';
import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

interface CostCenterData {
  id: string;
  code: string;
  societyName: string;
  revision: number;
  manager: { id: string } | null;
}

const FIELDS = 'id code societyName revision manager { id }';
const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on CostCenter { id code } } }`;

describe.each(BACKENDS)('cost-center subgraph on its own (%s)', (backend) => {
  let service: SubgraphUnderTest;

  beforeAll(async () => {
    service = await startSubgraphUnderTest('cost-center', backend, { seed: true });
    for (const user of seedUsers) service.peers.user!.set('User', user.id);
    // The car subgraph knows of cars only in the first cost center.
    for (const center of seedCostCenters) {
      service.peers.car!.set('CostCenter', center.id, { cars: { totalCount: center === seedCostCenters[0] ? 8 : 0 } });
    }
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('creates, reads by id and by code, updates and deletes a cost center', async () => {
    const managerId = seedUsers[1]!.id;
    const created = dataOf(
      await service.query<{ createCostCenter: CostCenterData }>(
        `mutation($input: CreateCostCenterInput!) { createCostCenter(input: $input) { ${FIELDS} } }`,
        { input: { code: 'CC-NTE-100', societyName: 'Acme Nantes', managerId } },
      ),
    ).createCostCenter;
    expect(created).toMatchObject({ code: 'CC-NTE-100', revision: 1, manager: { id: managerId } });

    const byId = dataOf(
      await service.query<{ costCenter: CostCenterData }>(`query($id: ID) { costCenter(id: $id) { ${FIELDS} } }`, {
        id: created.id,
      }),
    );
    const byCode = dataOf(
      await service.query<{ costCenter: CostCenterData }>(
        `query($code: String) { costCenter(code: $code) { ${FIELDS} } }`,
        { code: 'CC-NTE-100' },
      ),
    );
    expect(byId.costCenter).toEqual(created);
    expect(byCode.costCenter).toEqual(created);

    const updated = dataOf(
      await service.query<{ updateCostCenter: CostCenterData }>(
        `mutation($id: ID!) { updateCostCenter(id: $id, input: { societyName: "Acme Nantes Sud" }) { ${FIELDS} } }`,
        { id: created.id },
      ),
    ).updateCostCenter;
    expect(updated).toEqual({ ...created, societyName: 'Acme Nantes Sud', revision: 2 });

    const deleted = dataOf(
      await service.query<{ deleteCostCenter: string }>(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, {
        id: created.id,
      }),
    );
    expect(deleted.deleteCostCenter).toBe(created.id);
  });

  it('resolves CostCenter references by either @key, NOT_FOUND for unknown ones', async () => {
    const [first, second] = seedCostCenters;
    const response = await service.query<{ _entities: ({ id: string; code: string } | null)[] }>(ENTITIES, {
      representations: [
        { __typename: 'CostCenter', id: first!.id },
        { __typename: 'CostCenter', code: second!.code },
        { __typename: 'CostCenter', id: randomUUID() },
        { __typename: 'CostCenter', code: 'CC-NOPE-999' },
      ],
    });
    expect(errorCodesByPath(response)).toEqual([
      [['_entities', 2], 'NOT_FOUND'],
      [['_entities', 3], 'NOT_FOUND'],
    ]);
    expect(response.data?._entities).toEqual([
      { id: first!.id, code: first!.code },
      { id: second!.id, code: second!.code },
      null,
      null,
    ]);
  });

  it('contributes User.managedCostCenters for a User reference', async () => {
    const manager = seedUsers.find((user) => user.username === 'manager')!;
    const response = dataOf(
      await service.query<{ _entities: { managedCostCenters: { code: string }[] }[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { managedCostCenters { code } } } }`,
        {
          representations: [
            { __typename: 'User', id: manager.id },
            { __typename: 'User', id: randomUUID() },
          ],
        },
      ),
    );
    const expected = seedCostCenters
      .filter((c) => c.managerId === manager.id)
      .map((c) => c.code)
      .sort();
    expect(response._entities.map((user) => user.managedCostCenters.map((c) => c.code))).toEqual([expected, []]);
  });

  it('refuses a second cost center with the same code as ALREADY_EXISTS, writing nothing', async () => {
    const prisma = service.subgraph.prisma as PrismaClient;
    const before = await prisma.costCenter.count();
    const response = await service.query(
      `mutation($input: CreateCostCenterInput!) { createCostCenter(input: $input) { id } }`,
      { input: { code: seedCostCenters[0]!.code, societyName: 'Duplicate', managerId: seedUsers[0]!.id } },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'ALREADY_EXISTS', grpcStatus: 6 });
    expect(await prisma.costCenter.count()).toBe(before);
  });

  it.each([
    ['input.code', { code: 'lower-case', societyName: 'Acme', managerId: seedUsers[0]!.id }],
    ['input.societyName', { code: 'CC-OK-1', societyName: ' ', managerId: seedUsers[0]!.id }],
    ['input.managerId', { code: 'CC-OK-2', societyName: 'Acme', managerId: '42' }],
  ])('rejects an invalid %s', async (field, input) => {
    const response = await service.query(
      `mutation($input: CreateCostCenterInput!) { createCostCenter(input: $input) { id } }`,
      { input },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });

  it('needs exactly one of id and code', async () => {
    const both = await service.query(`query($id: ID, $code: String) { costCenter(id: $id, code: $code) { id } }`, {
      id: seedCostCenters[0]!.id,
      code: seedCostCenters[0]!.code,
    });
    const neither = await service.query(`{ costCenter { id } }`);
    expect(both.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    expect(neither.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
  });

  it('refuses to delete a cost center that still has cars (FAILED_PRECONDITION), keeping it', async () => {
    const prisma = service.subgraph.prisma as PrismaClient;
    const withCars = seedCostCenters[0]!;
    const response = await service.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id: withCars.id });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'FAILED_PRECONDITION', grpcStatus: 9, cars: 8 });
    expect(await prisma.costCenter.findUnique({ where: { id: withCars.id } })).not.toBeNull();
  });

  it('refuses a manager the user subgraph does not know (FAILED_PRECONDITION)', async () => {
    const response = await service.query(
      `mutation($input: CreateCostCenterInput!) { createCostCenter(input: $input) { id } }`,
      {
        input: { code: 'CC-GHOST-1', societyName: 'Ghost', managerId: randomUUID() },
      },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'FAILED_PRECONDITION', field: 'input.managerId' });
    const prisma = service.subgraph.prisma as PrismaClient;
    expect(await prisma.costCenter.findUnique({ where: { code: 'CC-GHOST-1' } })).toBeNull();
  });

  it('reports an update or delete of an unknown cost center as NOT_FOUND', async () => {
    const id = randomUUID();
    const update = await service.query(
      `mutation($id: ID!) { updateCostCenter(id: $id, input: { societyName: "X" }) { id } }`,
      { id },
    );
    const remove = await service.query(`mutation($id: ID!) { deleteCostCenter(id: $id) }`, { id });
    expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(remove.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
