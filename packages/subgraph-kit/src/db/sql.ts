import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * The little SQL surface the migration runner and seed checks need, over either
 * an embedded PGlite or a real PostgreSQL connection.
 */
export interface SqlRunner {
  readonly dialect: 'pglite' | 'postgres';
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a multi-statement script (no parameters). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export function pgliteRunner(db: PGlite): SqlRunner {
  return {
    dialect: 'pglite',
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      const result = await db.query<Row>(sql, params);
      return result.rows;
    },
    async exec(script) {
      await db.exec(script);
    },
    // The PGlite instance is shared with Prisma; its owner closes it.
    async close() {},
  };
}

export function postgresRunner(client: pg.Client): SqlRunner {
  return {
    dialect: 'postgres',
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      const result = await client.query<Row>(sql, params);
      return result.rows;
    },
    async exec(script) {
      await client.query(script);
    },
    async close() {
      await client.end();
    },
  };
}

/** Quotes an SQL identifier (schema names come from configuration). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
