import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { PrismaClient as UserPrisma } from '../../subgraphs/user/src/prisma';
import { BACKENDS } from '@car-check/test-support/config';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';

/**
 * What happens when a subgraph's SDL gains an input field its zod schema does
 * not know (someone adds `color` to the SDL and forgets validation.ts): the
 * subgraphs here are booted from their real resolvers with such an SDL. The
 * field must be refused with INVALID_ARGUMENT naming it, and nothing written,
 * rather than silently dropped.
 */
jest.mock('../../packages/subgraph-kit/src/server/defineSubgraph', () => {
  const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
  const os = jest.requireActual<typeof import('node:os')>('node:os');
  const nodePath = jest.requireActual<typeof import('node:path')>('node:path');
  const actual = jest.requireActual<typeof import('../../packages/subgraph-kit/src/server/defineSubgraph')>(
    '../../packages/subgraph-kit/src/server/defineSubgraph',
  );
  // Input fields each SDL gains, without a key in the subgraph's zod schemas.
  const extraFields: Record<string, Record<string, string>> = {
    car: { CreateCarInput: 'color: String', UpdateCarInput: 'color: String', CarFilter: 'color: String' },
    'cost-center': { CostCenterFilter: 'region: String' },
    user: { CreateUserInput: 'nickname: String', UserFilter: 'nickname: String' },
  };
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'sdl-extra-fields-'));
  return {
    ...actual,
    defineSubgraph: (definition: Parameters<typeof actual.defineSubgraph>[0]) => {
      // subgraphs/<name>/src/__generated__/schema.graphql: the folder after subgraphs/.
      const parts = definition.schemaFile.split(nodePath.sep);
      const subgraph = parts[parts.lastIndexOf('subgraphs') + 1] ?? '';
      let sdl = fs.readFileSync(definition.schemaFile, 'utf8');
      for (const [input, field] of Object.entries(extraFields[subgraph] ?? {})) {
        const opening = `input ${input} {\n`;
        if (!sdl.includes(opening)) throw new Error(`${subgraph}: no input ${input} in its SDL`);
        sdl = sdl.replace(opening, `${opening}  ${field}\n`);
      }
      const schemaFile = nodePath.join(dir, `${subgraph}.graphql`);
      fs.writeFileSync(schemaFile, sdl);
      return actual.defineSubgraph({ ...definition, schemaFile });
    },
  };
});

function expectRefused(
  response: { errors?: { extensions?: Record<string, unknown> }[]; data?: unknown },
  field: string,
) {
  expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', grpcStatus: 3, field });
}

describe.each(BACKENDS)('an SDL input field the zod schema does not know is refused, not dropped (%s)', (backend) => {
  describe('car', () => {
    let car: SubgraphUnderTest;
    beforeAll(async () => {
      car = await startSubgraphUnderTest('car', backend, { seed: true });
      for (const center of seedCostCenters) car.peers['cost-center']!.set('CostCenter', center.id);
    });
    afterAll(async () => {
      await car?.stop();
    });

    it('createCar with the unknown field writes nothing', async () => {
      const prisma = car.subgraph.prisma as CarPrisma;
      const before = await prisma.car.count();
      const response = await car.query(`mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`, {
        input: { brand: 'Renault', model: 'Zoe', costCenterId: seedCostCenters[0]!.id, color: 'red' },
      });
      expectRefused(response, 'input.color');
      expect(await prisma.car.count()).toBe(before);
    });

    it('updateCar with only the unknown field changes nothing (not even the revision)', async () => {
      const prisma = car.subgraph.prisma as CarPrisma;
      const target = seedCars[0]!;
      const before = await prisma.car.findUniqueOrThrow({ where: { id: target.id } });
      const response = await car.query(
        `mutation($id: ID!, $input: UpdateCarInput!) { updateCar(id: $id, input: $input) { revision } }`,
        {
          id: target.id,
          input: { color: 'red' },
        },
      );
      expectRefused(response, 'input.color');
      expect(await prisma.car.findUniqueOrThrow({ where: { id: target.id } })).toEqual(before);
    });

    it('cars filtered by the unknown field is refused, not every car', async () => {
      const response = await car.query(`{ cars(filter: { color: "red" }) { totalCount } }`);
      expectRefused(response, 'filter.color');
    });
  });

  it('cost-center: costCenters filtered by the unknown field is refused', async () => {
    const service = await startSubgraphUnderTest('cost-center', backend, { seed: true });
    try {
      expectRefused(
        await service.query(`{ costCenters(filter: { region: "south" }) { totalCount } }`),
        'filter.region',
      );
    } finally {
      await service.stop();
    }
  });

  it('user: createUser and users with the unknown field are refused, nothing written', async () => {
    const service = await startSubgraphUnderTest('user', backend, { seed: true });
    try {
      const prisma = service.subgraph.prisma as UserPrisma;
      const response = await service.query(
        `mutation { createUser(input: { username: "nick.name", email: "nick@fleet.example", nickname: "Nick" }) { id } }`,
      );
      expectRefused(response, 'input.nickname');
      expect(await prisma.user.count()).toBe(seedUsers.length);
      expectRefused(await service.query(`{ users(filter: { nickname: "Nick" }) { totalCount } }`), 'filter.nickname');
    } finally {
      await service.stop();
    }
  });
});
