import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations, bootSubgraph, openDatabase, type SubgraphConfig } from '@car-check/subgraph-kit';
import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { carSubgraph } from '../../subgraphs/car/src/server';
import { BACKENDS } from '@car-check/test-support/config';
import { createTestDatabases } from '@car-check/test-support/databases';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { silentLogger, subgraphUnderTest, testSubgraphConfig } from '@car-check/test-support/subgraphs';

/**
 * Migrating and seeding three databases, or creating an embedded one, takes seconds each; on a
 * loaded 2-core machine many more (the default 60 s was too tight there).
 */
const SLOW = 180_000;

/** `audited`: each row the seed creates is a CREATE audit record, i.e. a `*.created` event read models see. */
const SEEDED = [
  { name: 'car', table: 'car', expected: seedCars.length, audited: true },
  { name: 'cost-center', table: 'cost_center', expected: seedCostCenters.length, audited: true },
  { name: 'user', table: 'app_user', expected: seedUsers.length, audited: false },
] as const;

describe('demo data', () => {
  it('is a realistic fleet: at least 4 cost centers, 6 users and 40 cars, all references resolvable', () => {
    expect(seedCostCenters.length).toBeGreaterThanOrEqual(4);
    expect(seedUsers.length).toBeGreaterThanOrEqual(6);
    expect(seedCars.length).toBeGreaterThanOrEqual(40);
    for (const car of seedCars) expect(seedCostCenters.map((c) => c.id)).toContain(car.costCenterId);
    for (const center of seedCostCenters) expect(seedUsers.map((u) => u.id)).toContain(center.managerId);
  });

  it.each(BACKENDS)(
    'seeds idempotently (%s)',
    async (backend) => {
      const databases = await createTestDatabases(backend);
      try {
        for (const { name, table, expected, audited } of SEEDED) {
          const { module, spec } = subgraphUnderTest(name);
          const database = await openDatabase(databases.target(spec.defaultSchema));
          const prisma = module.createPrisma(database.adapter);
          const rows = async () =>
            (await database.runner.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;
          const created = async () =>
            (
              await database.runner.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM audit_event WHERE action = 'CREATE' AND actor_id = 'service:seed'`,
              )
            )[0]!.n;
          try {
            await applyMigrations(database.runner, module.migrationsDir);
            await module.seed(prisma as never, silentLogger(name), TEST_ENV);
            expect(await rows()).toBe(expected);
            await module.seed(prisma as never, silentLogger(name), TEST_ENV);
            expect(await rows()).toBe(expected);
            // Once each: a second seed creates nothing, so it records nothing.
            expect([name, await created()]).toEqual([name, audited ? expected : 0]);
          } finally {
            await prisma.$disconnect();
            await database.close();
          }
        }
      } finally {
        await databases.drop();
      }
    },
    SLOW,
  );

  it(
    'is loaded on the first start of an empty embedded database, and only then',
    async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-seed-'));
      const config: SubgraphConfig = { ...testSubgraphConfig('car', { kind: 'embedded', dataDir }), seedOnEmpty: true };
      try {
        const first = await bootSubgraph(carSubgraph, config, silentLogger('car'));
        const prisma = first.prisma as CarPrisma;
        expect(await prisma.car.count()).toBe(seedCars.length);
        await prisma.car.delete({ where: { id: seedCars[0]!.id } });
        await first.stop();

        const second = await bootSubgraph(carSubgraph, config, silentLogger('car'));
        expect(await (second.prisma as CarPrisma).car.count()).toBe(seedCars.length - 1);
        await second.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    SLOW,
  );

  it(
    'npm run db:seed refuses a bad configuration in one line naming the variable, no stack, exit 78',
    () => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        DATABASE_URL: 'not-a-url',
      };
      const ROOT = path.resolve(__dirname, '..', '..');
      const run = spawnSync('npm', ['run', '--silent', 'db:seed'], { cwd: ROOT, env, encoding: 'utf8', timeout: SLOW });
      const oneLine = /^db:seed failed after .+: invalid configuration: DATABASE_URL: must be a postgres:\/\/ or /;
      expect({ code: run.status, lines: run.stderr.trim().split('\n') }).toEqual({
        code: 78,
        lines: [expect.stringMatching(oneLine)],
      });
    },
    SLOW,
  );
});
