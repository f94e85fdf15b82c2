import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { lockDataFolder } from './dataLock';
import { DataFolderWatch } from './dataWatch';
import { openPGlite, type CreateProgress, type EmbeddedSettings } from './embedded';
import { guardedCommits, guardedPGlite } from './guardedPGlite';
import { ConfigError } from '@car-check/service-kit';
import { pgliteRunner, postgresRunner, quoteIdent, type SqlRunner } from './sql';
import { traceDatabaseQueries } from './tracing';

/** Where a subgraph keeps its data. */
export type DatabaseTarget =
  /**
   * Embedded PGlite: a data directory of its own, or `memory://` for throw-away data;
   * `settings` tune its memory (default: DEFAULT_EMBEDDED_SETTINGS, see embedded.ts).
   * `loadFrom` (`memory://` only) is a file of PGlite's `dumpDataDir` to start from instead of
   * an empty cluster: the tests start each graph from one with the migrations already applied.
   */
  | { kind: 'embedded'; dataDir: string; settings?: EmbeddedSettings; loadFrom?: string }
  /**
   * A PostgreSQL database; the subgraph lives in its own schema of it. `variable` is
   * the setting the URL came from (e.g. DATABASE_URL), for errors that say what to fix.
   */
  | { kind: 'postgres'; url: string; schema: string; poolSize: number; variable?: string };

export interface Database {
  readonly target: DatabaseTarget;
  /** Driver adapter for the subgraph's generated PrismaClient. */
  readonly adapter: PrismaPg | PrismaPGlite;
  /** One dedicated session for migrations and seeding checks. */
  readonly runner: SqlRunner;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
  /** Connection pool figures (PostgreSQL), for metrics; null for the embedded database. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

/** A log-safe description of the target: never includes credentials. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'embedded') return `embedded PGlite at ${target.dataDir}`;
  const url = new URL(target.url);
  return `PostgreSQL ${url.hostname}:${url.port || '5432'}${url.pathname} schema ${target.schema}`;
}

/** Called for connection errors that happen between queries (e.g. the server restarted). */
export type ConnectionErrorHandler = (error: Error) => void;

export type { CreateProgress };

export interface OpenDatabaseOptions {
  /** Hears of the creation of a new embedded database (initdb, first start only) as it starts and ends. */
  onCreate?: (event: CreateProgress) => void;
  /**
   * Hears, once, that the embedded database's data folder went away under this process
   * (deleted or replaced): from then on every statement is refused (see dataWatch.ts).
   */
  onDataLost?: (error: Error) => void;
}

export async function openDatabase(
  target: DatabaseTarget,
  onError: ConnectionErrorHandler = () => {},
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  traceDatabaseQueries();
  return target.kind === 'embedded' ? openEmbedded(target, options) : openPostgres(target, onError);
}

async function openEmbedded(
  target: Extract<DatabaseTarget, { kind: 'embedded' }>,
  options: OpenDatabaseOptions,
): Promise<Database> {
  if (target.dataDir.startsWith('memory://')) {
    const db = await openPGlite(target.dataDir, target.settings, options.onCreate, target.loadFrom);
    return embeddedDatabase(
      target,
      db,
      async () => undefined,
      async () => db.close(),
    );
  }
  // One process at a time on a data folder (dataLock.ts); whoever holds it notices the folder's loss (dataWatch.ts).
  const lock = await lockDataFolder(target.dataDir);
  try {
    // Memory-tuned, and a new cluster is created out of process: see embedded.ts.
    const db = await openPGlite(target.dataDir, target.settings, options.onCreate);
    const watch = await DataFolderWatch.start(target.dataDir, (error) => options.onDataLost?.(error)).catch(
      async (error: unknown) => {
        await db.close();
        throw error;
      },
    );
    const check = () => watch.check();
    return embeddedDatabase(target, guardedPGlite(db, check), check, async () => {
      watch.stop();
      try {
        await db.close();
      } finally {
        await lock.release();
      }
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function embeddedDatabase(
  target: DatabaseTarget,
  db: PGlite,
  check: () => Promise<void>,
  close: () => Promise<void>,
): Database {
  return {
    target,
    adapter: guardedCommits(new PrismaPGlite(db), check),
    runner: pgliteRunner(db),
    // Refused, like any statement, once the data folder is gone: /ready says the database is down.
    ping: async () => {
      await db.query('SELECT 1');
    },
    poolStats: () => null,
    close,
  };
}

async function openPostgres(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  onError: ConnectionErrorHandler,
): Promise<Database> {
  // Every connection searches the subgraph's schema first, so raw SQL and the
  // migrations (which name tables unqualified) land in that schema, not `public`.
  const options = `-c search_path=${quoteIdent(target.schema)}`;
  const client = new pg.Client({ connectionString: target.url, options });
  // An idle connection that dies (server restart, admin kill) emits 'error';
  // unhandled, that would crash the process instead of failing one request.
  client.on('error', onError);
  await client.connect().catch((error: unknown) => {
    throw unreachable(target, error);
  });
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`);
  const pool = new pg.Pool({ connectionString: target.url, options, max: target.poolSize });
  pool.on('error', onError);
  return {
    target,
    adapter: new PrismaPg(pool, { schema: target.schema }),
    runner: postgresRunner(client),
    // Through the pool, which replaces dead connections, unlike the migration session.
    ping: async () => {
      await pool.query('SELECT 1');
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await client.end();
      await pool.end();
    },
  };
}

/** How long the first connection to PostgreSQL may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects once to the target's PostgreSQL and disconnects: a start-up check, so that a
 * wrong or unreachable URL is reported (by {@link unreachable}) before anything slow starts.
 */
export async function checkPostgresReachable(target: Extract<DatabaseTarget, { kind: 'postgres' }>): Promise<void> {
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw unreachable(target, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A configuration error naming the variable, for a first connection that failed because
 * of the setting (no server there, no such host or database, refused credentials); any
 * other failure is returned as it is.
 */
export function unreachable(target: Extract<DatabaseTarget, { kind: 'postgres' }>, error: unknown): unknown {
  const code = (error as { code?: string } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const where = describeTarget(target).replace(/ schema .*$/, '');
  const hints: Record<string, string> = {
    ECONNREFUSED: 'nothing listens there: start PostgreSQL, or fix the host and port',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name cannot be resolved right now',
    ETIMEDOUT: 'the server does not answer',
    '3D000': 'the database does not exist: create it (createdb), or name another',
    '28P01': 'the server refused the user name or password',
    '28000': 'the server refused this user or client address (pg_hba.conf)',
  };
  const timedOut = /timeout/i.test(message);
  const hint = code ? hints[code] : timedOut ? hints.ETIMEDOUT : undefined;
  if (!hint) return error;
  const variable = target.variable ?? 'DATABASE_URL';
  return new ConfigError(
    `Invalid configuration:\n  ${variable}: cannot connect to ${where} (${code ?? 'timeout'}: ${hint}); fix ${variable}, or unset it to use the embedded database`,
  );
}
