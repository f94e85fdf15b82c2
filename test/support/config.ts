import { z } from 'zod';
// Relative, not the package name: jest's globalSetup (test/support/preflight.ts) loads this without moduleNameMapper.
// eslint-disable-next-line import-x/no-restricted-paths -- that loader cannot resolve the package's name
import { postgresUrl, readEnv } from '../../packages/service-kit/src/config/env';

/**
 * Where the tests find PostgreSQL and which backends they run on. The defaults
 * match these machines and CI (a server on 127.0.0.1:5432, trust auth); point
 * TEST_DATABASE_URL elsewhere, or set TEST_BACKENDS=pglite to skip PostgreSQL.
 */
export const testConfig = readEnv({
  TEST_DATABASE_URL: postgresUrl().default('postgresql://postgres@127.0.0.1:5432/postgres'),
  TEST_BACKENDS: z
    .string()
    .default('pglite,postgres')
    .transform((list) => list.split(',').map((name) => name.trim()))
    .pipe(z.array(z.enum(['pglite', 'postgres'])).min(1)),
});

export type Backend = 'pglite' | 'postgres';

export const BACKENDS: Backend[] = testConfig.TEST_BACKENDS;
