import { z } from 'zod';
// Relative, not the package name: jest's globalSetup (preflight.ts) loads this without moduleNameMapper.
// eslint-disable-next-line import-x/no-restricted-paths -- see above
import { postgresUrl, readEnv } from '../service-kit/src/config/env';

/**
 * Where the tests find their services and which database backends they run on. The defaults
 * match these machines and CI (PostgreSQL on 127.0.0.1:5432 with trust auth, Redis, RabbitMQ
 * as guest, Debian's Chromium); every variable is TEST_*, so none is mistaken for the graph's own.
 * Set TEST_BACKENDS=pglite to skip PostgreSQL.
 */
export const testConfig = readEnv({
  TEST_DATABASE_URL: postgresUrl().default('postgresql://postgres@127.0.0.1:5432/postgres'),
  TEST_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  TEST_AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'must be an amqp:// or amqps:// URL')
    .default('amqp://guest:guest@127.0.0.1:5672'),
  TEST_CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  TEST_BACKENDS: z
    .string()
    .default('pglite,postgres')
    .transform((list) => list.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(['pglite', 'postgres'])).min(1)),
});

export type Backend = 'pglite' | 'postgres';

export const BACKENDS: Backend[] = testConfig.TEST_BACKENDS;

/**
 * The one backend of a suite where the database does not change what is tested (the gateway's
 * admission, limits, authorization, partial results, trusted documents; the broker's delivery):
 * PostgreSQL, the production database, unless TEST_BACKENDS leaves it out. Suites where the
 * database matters (writes, transactions, migrations, idempotency, audit, events, read models,
 * cursors) run on every backend of BACKENDS instead. Each graph boot costs seconds on 2 cores.
 */
export const ONE_BACKEND: Backend = BACKENDS.includes('postgres') ? 'postgres' : 'pglite';
