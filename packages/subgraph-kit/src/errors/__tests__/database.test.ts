import { PrismaPg } from '@prisma/adapter-pg';
import { GraphQLError } from 'graphql';
import pg from 'pg';
import { PrismaClient } from '../../../../../subgraphs/car/src/__generated__/prisma/client';
import { BACKENDS, testConfig } from '@car-check/test-support/config';
import { formatSubgraphError, mapDatabaseError } from '../database';

const codeOf = (error: unknown) => (error instanceof GraphQLError ? error.extensions.code : 'passed through');

/** Runs `failing` and maps what it throws, the way resolvers do. */
async function mapped(failing: () => Promise<unknown>): Promise<unknown> {
  try {
    await failing();
  } catch (error) {
    return codeOf(mapDatabaseError(error, 'Thing'));
  }
  throw new Error('expected the database call to fail');
}

describe('mapDatabaseError', () => {
  it.each([
    ['Prisma unique violation', { code: 'P2002', meta: { target: ['code'] } }, 'ALREADY_EXISTS'],
    [
      'adapter unique violation',
      { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation' } } } },
      'ALREADY_EXISTS',
    ],
    ['record not found', { code: 'P2025' }, 'NOT_FOUND'],
    ['write conflict', { code: 'P2034' }, 'ABORTED'],
    ['a transaction that could not start in time', { code: 'P2028' }, 'UNAVAILABLE'],
    [
      'deadlock',
      { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '40P01', kind: 'postgres' } } } },
      'ABORTED',
    ],
    [
      'unreachable server',
      { code: 'P1001', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } },
      'UNAVAILABLE',
    ],
    [
      'closed connection',
      { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } } },
      'UNAVAILABLE',
    ],
    [
      'too many connections',
      { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '53300' } } } },
      'UNAVAILABLE',
    ],
    [
      'the embedded data folder gone (dataWatch)',
      { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '58P01', kind: 'postgres' } } } },
      'DATA_LOSS',
    ],
    [
      'a syntax error',
      { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '42601' } } } },
      'passed through',
    ],
    ['a thrown string', 'boom', 'passed through'],
  ])('%s', (_what, error, expected) => {
    expect(codeOf(mapDatabaseError(error, 'Thing'))).toBe(expected);
  });

  it('gives ALREADY_EXISTS the fields that collided', () => {
    const error = mapDatabaseError({ code: 'P2002', meta: { target: ['username'] } }, 'User') as GraphQLError;
    expect(error.extensions).toMatchObject({
      code: 'ALREADY_EXISTS',
      grpcStatus: 6,
      entity: 'User',
      fields: ['username'],
    });
  });
});

describe('formatSubgraphError', () => {
  const formatted = { message: 'raw', path: ['login'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };

  it('gives a database failure no resolver translated its code, not INTERNAL', () => {
    const thrown = new GraphQLError('raw', {
      path: ['login'],
      originalError: Object.assign(new Error('raw'), { code: 'P2028' }),
    });
    expect(formatSubgraphError(formatted, thrown)).toMatchObject({
      path: ['login'],
      extensions: { code: 'UNAVAILABLE', grpcStatus: 14 },
    });
  });

  it('still masks anything else as INTERNAL', () => {
    const thrown = new GraphQLError('raw', { path: ['login'], originalError: new TypeError('x is undefined') });
    expect(formatSubgraphError(formatted, thrown)).toEqual({
      message: expect.stringContaining('Internal error') as string,
      path: ['login'],
      extensions: { code: 'INTERNAL', grpcStatus: 13 },
    });
  });
});

// Real failures from a real server, so the mapping follows what Prisma and pg actually throw.
// Only when the run includes PostgreSQL (TEST_BACKENDS=pglite leaves them out of the run).
const withPostgres = BACKENDS.includes('postgres') ? describe : () => undefined;

withPostgres('mapDatabaseError on real PostgreSQL failures', () => {
  const url = testConfig.TEST_DATABASE_URL;

  it('a server that cannot be reached is UNAVAILABLE', async () => {
    const unreachable = new URL(url);
    unreachable.port = '1';
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: unreachable.toString() }) });
    expect(await mapped(() => prisma.car.count())).toBe('UNAVAILABLE');
    await prisma.$disconnect();
  });

  it('a pool that hands out no connection in time is UNAVAILABLE', async () => {
    // Opening the one connection may take long on a loaded machine; only the wait for a
    // second one, while the first is held, is meant to time out.
    const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 30_000 });
    const held = await pool.connect();
    (pool.options as { connectionTimeoutMillis: number }).connectionTimeoutMillis = 100;
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    try {
      expect(await mapped(() => prisma.$queryRaw`SELECT 1`)).toBe('UNAVAILABLE');
    } finally {
      held.release();
      await prisma.$disconnect();
      await pool.end();
    }
  });

  it('a transaction that cannot start while every connection is held is UNAVAILABLE', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 30_000 });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (started = resolve));
    // The one connection, held by an open transaction until the second has given up waiting.
    const holder = prisma.$transaction(
      async () => {
        started();
        await released;
      },
      { timeout: 120_000 },
    );
    try {
      await holding;
      expect(await mapped(() => prisma.$transaction(async (tx) => tx.$queryRaw`SELECT 1`, { maxWait: 200 }))).toBe(
        'UNAVAILABLE',
      );
    } finally {
      release();
      await holder;
      await prisma.$disconnect();
      await pool.end();
    }
  });

  it('a connection killed mid-query is UNAVAILABLE', async () => {
    const prisma = new PrismaClient({
      adapter: new PrismaPg({ connectionString: url, application_name: 'doomed-query' }),
    });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const sleeping = mapped(() => prisma.$queryRawUnsafe('SELECT pg_sleep(10)'));
      const killed = async () =>
        (
          await admin.query(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'doomed-query' AND state = 'active'`,
          )
        ).rowCount;
      while ((await killed()) === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(await sleeping).toBe('UNAVAILABLE');
    } finally {
      await admin.end();
      await prisma.$disconnect();
    }
  });

  it('a serialization failure between two transactions is ABORTED', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
    const table = `serialization_probe_${process.pid}`;
    await prisma.$executeRawUnsafe(`CREATE TABLE ${table} (id int PRIMARY KEY, v int)`);
    await prisma.$executeRawUnsafe(`INSERT INTO ${table} VALUES (1, 0)`);
    try {
      let bothRead: () => void = () => undefined;
      const barrier = new Promise<void>((resolve) => (bothRead = resolve));
      let reads = 0;
      const increment = () =>
        prisma.$transaction(
          async (tx) => {
            const [row] = await tx.$queryRawUnsafe<{ v: number }[]>(`SELECT v FROM ${table} WHERE id = 1`);
            if (++reads === 2) bothRead();
            await barrier;
            await tx.$executeRawUnsafe(`UPDATE ${table} SET v = $1 WHERE id = 1`, row!.v + 1);
          },
          { isolationLevel: 'Serializable' },
        );
      const outcomes = await Promise.all([mapped(increment).catch(() => 'ok'), mapped(increment).catch(() => 'ok')]);
      expect(outcomes.sort()).toEqual(['ABORTED', 'ok']);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TABLE ${table}`);
      await prisma.$disconnect();
    }
  });
});
