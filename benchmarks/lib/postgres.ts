/** The PostgreSQL a benchmark creates its databases in: BENCH_DATABASE_URL, TEST_DATABASE_URL, else a local one. */
export const benchPostgresAdminUrl = (): string =>
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
