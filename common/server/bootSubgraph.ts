import { applyMigrations, readMigrations } from '../db/migrate';
import { ServiceMetrics } from '../metrics/metrics';
import { describeTarget, openDatabase, type Database } from '../db/connect';
import { subgraphPortVariable } from '../config/routing';
import type { SubgraphConfig } from '../config/service';
import { createLogger, type Logger } from '../logging/logger';
import { ensurePortFree, listen, type RunningServer } from './http';
import type { DependencyState } from './health';
import type { SubgraphApp } from './subgraph';

/** The part of a generated PrismaClient the boot sequence needs. */
export interface PrismaLike {
  $disconnect(): Promise<void>;
}

export interface SubgraphModule<P extends PrismaLike> {
  migrationsDir: string;
  createPrisma(adapter: Database['adapter']): P;
  build(deps: {
    prisma: P;
    log: Logger;
    config: SubgraphConfig;
    ready: () => Promise<Record<string, DependencyState>>;
    metrics: ServiceMetrics;
  }): Promise<SubgraphApp>;
  /** Loads the demo data; `env` holds settings such as SEED_PASSWORD. */
  seed(prisma: P, log: Logger, env: NodeJS.ProcessEnv): Promise<void>;
}

export interface BootedSubgraph<P extends PrismaLike> extends RunningServer {
  prisma: P;
  log: Logger;
  /** What the subgraph's set-up built (e.g. its event consumers), for tools and tests. */
  services: unknown;
  /** Stops taking requests, finishes in-flight ones, closes the database. */
  stop(): Promise<void>;
}

/**
 * Opens the subgraph's database, applies pending migrations, seeds a new
 * embedded database, and starts serving. Shared by `npm start` and the tests.
 */
export async function bootSubgraph<P extends PrismaLike>(
  module: SubgraphModule<P>,
  config: SubgraphConfig,
  log: Logger = createLogger({ service: config.name, level: config.logLevel, pretty: config.prettyLogs }),
): Promise<BootedSubgraph<P>> {
  await ensurePortFree(config.host, config.port, subgraphPortVariable(config.name));
  log.info({ database: describeTarget(config.database) }, 'opening database');
  const database = await openDatabase(config.database, (error) =>
    log.warn({ err: error }, 'database connection lost; it will be re-established on the next query'),
  );
  let prisma: P | undefined;
  try {
    // In a deployment a migration job runs first (MIGRATE_ON_START=false), so that
    // replicas never race to change the schema; /ready stays 503 until it has.
    const migrated = config.migrateOnStart
      ? await applyMigrations(database.runner, module.migrationsDir)
      : { applied: [], wasEmpty: false };
    if (migrated.applied.length > 0) log.info({ applied: migrated.applied }, 'applied migrations');

    prisma = module.createPrisma(database.adapter);
    // Demo data (accounts with a known password) only ever outside production: a production
    // database gets its first administrator from `npm run db:bootstrap-admin`.
    if (migrated.wasEmpty && config.database.kind === 'embedded' && config.seedOnEmpty && !config.production) {
      await module.seed(prisma, log, config.env);
    }

    const expected = (await readMigrations(module.migrationsDir)).map((migration) => migration.name);
    const ready = async (): Promise<Record<string, DependencyState>> => {
      try {
        await database.ping();
      } catch {
        return { database: 'down', migrations: 'down' };
      }
      // Ready means serving the schema this code expects: every committed migration applied.
      const applied = await database.runner
        .query<{ name: string }>('SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
        .then((rows) => new Set(rows.map((row) => row.name)))
        .catch(() => new Set<string>());
      return { database: 'up', migrations: expected.every((name) => applied.has(name)) ? 'up' : 'down' };
    };
    const metrics = new ServiceMetrics(config.name, () => database.poolStats());
    const { app, apollo, services } = await module.build({ prisma, log, config, ready, metrics });
    const running = await listen(app, config.host, config.port);
    log.info({ url: `${running.url}/graphql` }, `${config.name} subgraph ready`);

    const client = prisma;
    return {
      ...running,
      prisma: client,
      log,
      services,
      async stop() {
        log.info('shutting down: no new connections, finishing requests in flight');
        await running.close(config.shutdownGraceMs);
        await apollo.stop();
        await client.$disconnect();
        await database.close();
        log.info(`${config.name} subgraph stopped`);
      },
    };
  } catch (error) {
    await prisma?.$disconnect().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}
