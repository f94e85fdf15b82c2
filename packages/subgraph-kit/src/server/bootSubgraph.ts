import { readMigrations, type MigrationResult } from '../db/migrate';
import {
  ServiceMetrics,
  subgraphPortVariable,
  createLogger,
  ensurePortFree,
  listen,
  describeManagementAccess,
  managementAccess,
  type DependencyState,
  type Logger,
  type RunningServer,
} from '@car-check/service-kit';
import type { Database } from '../db/connect';
import {
  applyMigrationsWithProgress,
  formatDuration,
  logProgress,
  msSince,
  openDatabaseWithProgress,
} from '../db/progress';
import type { SubgraphConfig } from '../config/service';
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
  /**
   * Loads the demo data; `env` holds settings such as SEED_PASSWORD. It logs one
   * line when done, saying what it loaded and how long that took.
   */
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

export interface BootOptions {
  /**
   * Count the start from the process's own start (a service's entry point): loading its
   * code (tsx, Prisma, Apollo) is part of the wait, and is reported as a step. Otherwise
   * (tests boot many subgraphs in one long-lived process) from the call.
   */
  fromProcessStart?: boolean;
}

/**
 * Opens the subgraph's database, applies pending migrations, seeds a new
 * embedded database, and starts serving. Shared by `npm start` and the tests.
 *
 * Each step is logged as it starts and when it is done, with its duration (see
 * packages/subgraph-kit/src/db/progress.ts), and the ready line sums them up: on a first start
 * (creating, migrating and seeding an embedded database) a person sees where
 * the seconds go.
 */
export async function bootSubgraph<P extends PrismaLike>(
  module: SubgraphModule<P>,
  config: SubgraphConfig,
  log: Logger = createLogger({ service: config.name, level: config.logLevel, pretty: config.prettyLogs }),
  options: BootOptions = {},
): Promise<BootedSubgraph<P>> {
  // performance.now() is 0 at the process's start.
  const startedAt = options.fromProcessStart ? 0 : performance.now();
  // Each step's duration, for the ready line: in words (`steps`) and in JSON (`stepsMs`).
  const steps: string[] = [];
  const stepsMs: Record<string, number> = {};
  const took = (words: string, key: string, ms: number) => {
    steps.push(`${words} ${formatDuration(ms)}`);
    stepsMs[key] = ms;
  };
  if (options.fromProcessStart) {
    const codeMs = msSince(0);
    took('code', 'code', codeMs);
    logProgress(
      log,
      { step: 'code', phase: 'done', durationMs: codeMs },
      `starting: code loaded in ${formatDuration(codeMs)}`,
    );
  }
  await ensurePortFree(config.host, config.port, subgraphPortVariable(config.name));
  const { database, timings } = await openDatabaseWithProgress(config.database, log, (error) =>
    log.warn({ err: error }, 'database connection lost; it will be re-established on the next query'),
  );
  if (timings.createMs !== undefined) took('creating the database', 'createDatabase', timings.createMs);
  took('opening it', 'database', timings.openMs);
  let prisma: P | undefined;
  try {
    // In a deployment a migration job runs first (MIGRATE_ON_START=false), so that
    // replicas never race to change the schema; /ready stays 503 until it has.
    let migrated: MigrationResult = { applied: [], wasEmpty: false };
    if (config.migrateOnStart) {
      const result = await applyMigrationsWithProgress(database, module.migrationsDir, log);
      migrated = result;
      took('migrations', 'migrations', result.durationMs);
    }

    prisma = module.createPrisma(database.adapter);
    // Demo data (accounts with a known password) only ever outside production: a production
    // database gets its first administrator from `npm run db:bootstrap-admin`.
    if (migrated.wasEmpty && config.database.kind === 'embedded' && config.seedOnEmpty && !config.production) {
      const seedStartedAt = performance.now();
      logProgress(log, { step: 'seed', phase: 'start' }, 'seeding the demo data (new embedded database)');
      await module.seed(prisma, log, config.env);
      took('seeding', 'seed', msSince(seedStartedAt));
    }

    const serverStartedAt = performance.now();
    const expected = (await readMigrations(module.migrationsDir)).map((migration) => migration.name);
    const ready = async (): Promise<Record<string, DependencyState>> => {
      try {
        await database.ping();
      } catch {
        return { database: 'down', migrations: 'down' };
      }
      // Ready means serving the schema this code expects: every committed migration applied.
      const applied = await database.runner
        .query<{ name: string }>(
          'SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
        )
        .then((rows) => new Set(rows.map((row) => row.name)))
        .catch(() => new Set<string>());
      return { database: 'up', migrations: expected.every((name) => applied.has(name)) ? 'up' : 'down' };
    };
    const metrics = new ServiceMetrics(config.name, () => database.poolStats());
    const { app, apollo, services, endStreams } = await module.build({ prisma, log, config, ready, metrics });
    const running = await listen(app, config.host, config.port);
    took('server', 'server', msSince(serverStartedAt));
    const totalMs = msSince(startedAt);
    logProgress(
      log,
      { step: 'ready', phase: 'done', durationMs: totalMs, steps: stepsMs, url: `${running.url}/graphql` },
      `${config.name} subgraph ready at ${running.url}/graphql in ${formatDuration(totalMs)} (${steps.join(', ')})`,
    );

    const access = managementAccess(config.managementToken);
    log[access.configured ? 'info' : 'warn'](describeManagementAccess(access, config.production));
    const client = prisma;
    return {
      ...running,
      prisma: client,
      log,
      services,
      async stop() {
        log.info('shutting down: refusing new requests (503), finishing those in flight');
        // Open subscription streams end first, each with `complete` after its last cursor: clients resume elsewhere.
        await endStreams();
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
