import { randomUUID } from 'node:crypto';
import { EXIT_MIGRATION_HISTORY, type HopelessFailure, sha256Hex } from '@car-check/service-kit';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SqlRunner } from './sql';

/**
 * Applies committed Prisma migrations (`<folder>/migration.sql`, in name order)
 * and records them in Prisma's own `_prisma_migrations` table, so the history is
 * the one `prisma migrate deploy` would have written and Prisma's tools see it as
 * clean. We need no schema-engine binary, which offline machines cannot download.
 */

export class MigrationError extends Error {
  override readonly name: string = 'MigrationError';
}

/**
 * The database's history does not match the committed migrations (one recorded but
 * missing, one edited after it was applied, one that never finished): no retry can
 * fix it, a person must (see packages/service-kit/src/server/exitCodes.ts).
 */
export class MigrationHistoryError extends MigrationError implements HopelessFailure {
  override readonly name = 'MigrationHistoryError';
  /** Restarting only repeats it: a person must resolve the history. */
  readonly exitCode = EXIT_MIGRATION_HISTORY;
}

export interface MigrationResult {
  /** Folders applied by this run, in order. */
  applied: string[];
  /** True when the database had no migration applied before this run. */
  wasEmpty: boolean;
}

/** One migration of a run, as it starts and once it has committed. */
export interface MigrationProgress {
  phase: 'start' | 'done';
  /** The migration's folder name. */
  name: string;
  /** Its place among the migrations this run applies, from 1. */
  index: number;
  /** How many this run applies (the pending ones). */
  total: number;
  /** How long it took (`done` only). */
  durationMs?: number;
}

export interface ApplyMigrationsOptions {
  /** Called as each pending migration starts and once it has committed, in order. */
  onProgress?: (event: MigrationProgress) => void;
}

interface AppliedRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

// Same key Prisma's engine uses, so our runner and Prisma's never migrate at once.
const ADVISORY_LOCK_KEY = 72707369;

const HISTORY_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

export async function readMigrations(dir: string): Promise<{ name: string; sql: string; checksum: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    folders.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: sha256Hex(sql) };
    }),
  );
}

/**
 * Brings the database (in the runner's current search_path) up to date.
 * Refuses to continue past a failed or edited migration: those need a human.
 */
export async function applyMigrations(
  runner: SqlRunner,
  migrationsDir: string,
  { onProgress }: ApplyMigrationsOptions = {},
): Promise<MigrationResult> {
  const migrations = await readMigrations(migrationsDir);
  if (runner.dialect === 'postgres') await runner.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  try {
    await runner.exec(HISTORY_TABLE);
    const rows = await runner.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const done = new Map<string, AppliedRow>();
    for (const row of rows) {
      if (row.rolled_back_at) continue;
      if (!row.finished_at) {
        throw new MigrationHistoryError(
          `Migration ${row.migration_name} started but did not finish; resolve it before migrating again.`,
        );
      }
      done.set(row.migration_name, row);
    }
    for (const row of done.values()) {
      const local = migrations.find((m) => m.name === row.migration_name);
      if (!local)
        throw new MigrationHistoryError(
          `Migration ${row.migration_name} is applied but missing from ${migrationsDir}.`,
        );
      if (local.checksum !== row.checksum) {
        throw new MigrationHistoryError(
          `Migration ${row.migration_name} was edited after it was applied (checksum differs).`,
        );
      }
    }

    const applied: string[] = [];
    const pending = migrations.filter((migration) => !done.has(migration.name));
    for (const [position, migration] of pending.entries()) {
      const step = { name: migration.name, index: position + 1, total: pending.length };
      onProgress?.({ phase: 'start', ...step });
      const startedAt = performance.now();
      // One transaction per migration: Postgres DDL is transactional, so a failing
      // migration leaves neither half a schema nor a history row behind.
      await runner.exec('BEGIN');
      try {
        await runner.exec(migration.sql);
        await runner.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await runner.exec('COMMIT');
      } catch (error) {
        await runner.exec('ROLLBACK');
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`Migration ${migration.name} failed: ${reason}`);
      }
      applied.push(migration.name);
      onProgress?.({ phase: 'done', ...step, durationMs: Math.round(performance.now() - startedAt) });
    }
    return { applied, wasEmpty: done.size === 0 };
  } finally {
    if (runner.dialect === 'postgres') await runner.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
  }
}

/** One migration as `npm run db:status` reports it. */
export interface MigrationState {
  name: string;
  state: 'applied' | 'pending' | 'failed' | 'edited' | 'unknown';
  /** When it finished (applied or edited ones). */
  appliedAt: Date | null;
}

/**
 * Where a database stands against the committed migrations, without changing
 * anything: applied, pending, failed (started, never finished), edited after it
 * was applied (checksum differs), or unknown here (applied, but not in the repo).
 */
export async function migrationStatus(runner: SqlRunner, migrationsDir: string): Promise<MigrationState[]> {
  const migrations = await readMigrations(migrationsDir);
  const exists = await runner.query<{ present: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
  );
  const rows = exists[0]?.present
    ? await runner.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      )
    : [];
  const applied = new Map(rows.filter((row) => !row.rolled_back_at).map((row) => [row.migration_name, row]));
  const states: MigrationState[] = migrations.map((migration) => {
    const row = applied.get(migration.name);
    if (!row) return { name: migration.name, state: 'pending', appliedAt: null };
    if (!row.finished_at) return { name: migration.name, state: 'failed', appliedAt: null };
    return {
      name: migration.name,
      state: row.checksum === migration.checksum ? 'applied' : 'edited',
      appliedAt: new Date(row.finished_at),
    };
  });
  const known = new Set(migrations.map((migration) => migration.name));
  for (const row of applied.values()) {
    if (!known.has(row.migration_name)) {
      states.push({
        name: row.migration_name,
        state: 'unknown',
        appliedAt: row.finished_at ? new Date(row.finished_at) : null,
      });
    }
  }
  return states;
}
