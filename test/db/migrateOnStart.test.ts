import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  bootSubgraph,
  migrateSubgraph,
  type BootedSubgraph,
  type DatabaseTarget,
  type PrismaLike,
} from '@car-check/subgraph-kit';
import { BACKENDS } from '@car-check/test-support/config';
import { createTestDatabases, type TestDatabases } from '@car-check/test-support/databases';
import { silentLogger, subgraphUnderTest, testSubgraphConfig } from '@car-check/test-support/subgraphs';
import { managementGet } from '@car-check/test-support/management';
import { prepareEmbeddedTemplateFromCache } from '@car-check/test-support/templates';
import { waitFor } from '@car-check/test-support/waitFor';

/**
 * A deployment runs each subgraph's migration job before its pods, which start
 * with MIGRATE_ON_START=false: such a pod must not touch the schema, and must stay
 * unready until the job has run. On each backend: PostgreSQL as deployments run,
 * and an embedded database in a folder (the job and the service take turns on it).
 */
/** Creating and migrating databases takes seconds; on a loaded 2-core machine, many more. */
const SLOW = 180_000;

describe.each(BACKENDS)('a subgraph started with MIGRATE_ON_START=false (%s)', (backend) => {
  let databases: TestDatabases | undefined;
  let dataDir = '';
  let target: DatabaseTarget;
  /** What the migration job is given: the database's settings, nothing else (no signing secret). */
  let jobEnv: NodeJS.ProcessEnv;
  let subgraph: BootedSubgraph<PrismaLike> | undefined;
  const { module, spec } = subgraphUnderTest('car');

  beforeAll(async () => {
    if (backend === 'postgres') {
      databases = await createTestDatabases('postgres');
      target = databases.target(spec.defaultSchema);
      if (target.kind !== 'postgres') throw new Error('expected PostgreSQL');
      jobEnv = { CAR_DATABASE_URL: target.url, CAR_DATABASE_SCHEMA: target.schema, LOG_LEVEL: 'silent' };
    } else {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'migrate-on-start-'));
      // The database is created from this template, as in a DATA_DIR after a first start: initdb is not what is tested.
      await prepareEmbeddedTemplateFromCache(dataDir);
      target = { kind: 'embedded', dataDir: path.join(dataDir, spec.dataFolder) };
      jobEnv = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    }
  }, SLOW);
  afterAll(async () => {
    await subgraph?.stop();
    await databases?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, SLOW);

  const boot = () =>
    bootSubgraph(module, { ...testSubgraphConfig('car', target), migrateOnStart: false }, silentLogger('car'));

  it(
    'leaves an unmigrated database alone and is unready until the migration job has run',
    async () => {
      subgraph = await boot();
      const before = await managementGet(subgraph.url, '/ready');
      expect(before.status).toBe(503);
      expect(((await before.json()) as { dependencies: Record<string, string> }).dependencies.migrations).toBe('down');
      // An embedded database has one user at a time: the pod waits for the job there.
      if (backend === 'pglite') {
        await subgraph.stop();
        subgraph = undefined;
      }

      expect((await migrateSubgraph(spec, module.migrationsDir, jobEnv)).length).toBeGreaterThan(0);
      // Run again, the job finds nothing to do.
      if (backend === 'postgres') expect(await migrateSubgraph(spec, module.migrationsDir, jobEnv)).toEqual([]);

      subgraph ??= await boot();
      // Readiness is checked in the background: the running subgraph sees the migrations at its next check.
      const running = subgraph;
      await waitFor(
        async () => (await fetch(`${running.url}/ready`)).status === 200,
        30_000,
        'the subgraph to be ready',
      );
    },
    SLOW,
  );
});
