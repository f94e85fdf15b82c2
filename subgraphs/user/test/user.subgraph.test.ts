import { randomUUID } from 'node:crypto';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

interface UserData {
  id: string;
  username: string;
  email: string;
  groups: string[];
  isActive: boolean;
  revision: number;
}

const FIELDS = 'id username email groups isActive revision';
const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { ${FIELDS} } }`;

describe.each(BACKENDS)('user subgraph on its own (%s)', (backend) => {
  let service: SubgraphUnderTest;

  beforeAll(async () => {
    service = await startSubgraphUnderTest('user', backend, { seed: true });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('creates, reads, updates and deletes a user', async () => {
    const created = dataOf(
      await service.query<{ createUser: UserData }>(CREATE, {
        input: { username: 'jane.doe', email: 'Jane.Doe@Fleet.example', groups: ['viewer', 'viewer'] },
      }),
    ).createUser;
    expect(created).toMatchObject({
      username: 'jane.doe',
      email: 'jane.doe@fleet.example',
      groups: ['viewer'],
      isActive: true,
      revision: 1,
    });

    const read = dataOf(
      await service.query<{ user: UserData }>(`query($id: ID!) { user(id: $id) { ${FIELDS} } }`, { id: created.id }),
    );
    expect(read.user).toEqual(created);

    const updated = dataOf(
      await service.query<{ updateUser: UserData }>(
        `mutation($id: ID!) { updateUser(id: $id, input: { isActive: false, groups: ["fleet-manager"] }) { ${FIELDS} } }`,
        { id: created.id },
      ),
    ).updateUser;
    expect(updated).toEqual({ ...created, isActive: false, groups: ['fleet-manager'], revision: 2 });

    const deleted = dataOf(
      await service.query<{ deleteUser: string }>(`mutation($id: ID!) { deleteUser(id: $id) }`, { id: created.id }),
    );
    expect(deleted.deleteUser).toBe(created.id);
  });

  it('resolves User references by @key(id) through _entities, NOT_FOUND for unknown ones', async () => {
    const known = seedUsers[2]!;
    const response = await service.query<{ _entities: ({ username: string } | null)[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { username } } }`,
      {
        representations: [
          { __typename: 'User', id: known.id },
          { __typename: 'User', id: randomUUID() },
        ],
      },
    );
    expect(response.data?._entities).toEqual([{ username: known.username }, null]);
    expect(errorCodesByPath(response)).toEqual([[['_entities', 1], 'NOT_FOUND']]);
  });

  it.each([
    ['username', { username: seedUsers[0]!.username, email: 'someone.new@fleet.example' }],
    ['email', { username: 'someone.new', email: seedUsers[0]!.email }],
  ])('refuses a second user with the same %s as ALREADY_EXISTS, writing nothing', async (_field, input) => {
    const prisma = service.subgraph.prisma as PrismaClient;
    const before = await prisma.user.count();
    const response = await service.query(CREATE, { input });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'ALREADY_EXISTS', grpcStatus: 6 });
    expect(await prisma.user.count()).toBe(before);
  });

  it.each([
    ['input.email', { username: 'ok.name', email: 'not-an-email' }],
    ['input.username', { username: 'Has Spaces', email: 'ok@fleet.example' }],
    ['input.groups.0', { username: 'ok.name', email: 'ok@fleet.example', groups: ['Admins!'] }],
  ])('rejects an invalid %s', async (field, input) => {
    const response = await service.query(CREATE, { input });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', field });
  });
});
