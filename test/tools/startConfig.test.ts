import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../benchmarks/lib/processGraph';
import { freeGraphPorts } from '@car-check/test-support/graphPorts';
import { EXIT_CONFIG, EXIT_MIGRATION_HISTORY, subgraphNames } from '@car-check/service-kit';
import { createTestDatabases, type TestDatabases } from '@car-check/test-support/databases';
import { TEST_EVENT_KEYS_ENV, TEST_SIGNING_SECRET_TEXT } from '@car-check/test-support/secrets';
import { testConfig } from '@car-check/test-support/config';

const ROOT = path.resolve(__dirname, '..', '..');

/** A production car subgraph, short only of its event keys (its database: the test server's, not migrated, only opened). */
const productionCar: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  GATEWAY_SIGNING_SECRET: 'a-production-like-signing-secret-of-40-chars',
  CAR_DATABASE_URL: testConfig.TEST_DATABASE_URL,
  MIGRATE_ON_START: 'false',
};

/** Runs `npm start`'s script with `env` added, until it exits; what it printed and its code. */
function startAll(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('scripts/start-all.ts', env);
}

/** Runs an entry point (a path under the repository) with `env` added, until it exits. */
function run(
  entry: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start with a configuration mistake', () => {
  it.each([
    [
      'a malformed DATABASE_URL',
      { DATABASE_URL: 'notaurl' },
      /^npm start: invalid configuration: DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/,
    ],
    ['an impossible port', { GATEWAY_PORT: '99999' }, /^npm start: invalid configuration: GATEWAY_PORT: /],
    // Read by the subgraphs' set-up only once their databases are migrated, so checked up front.
    [
      'a malformed AMQP_URL',
      { AMQP_URL: 'http://127.0.0.1:5672' },
      /^npm start: invalid configuration: AMQP_URL: must be an amqp:\/\/ or amqps:\/\/ URL$/,
    ],
    [
      'a missing supergraph file',
      { SUPERGRAPH_PATH: '/nonexistent/supergraph.graphql' },
      /^npm start: invalid configuration: SUPERGRAPH_PATH: \/nonexistent\/supergraph\.graphql does not exist; run `npm run compose`/,
    ],
  ])(
    '%s: stops before starting anything, with one line naming the variable and no stack trace',
    async (_what, env, line) => {
      const { code, stdout, stderr } = await startAll(env);
      expect(code).toBe(EXIT_CONFIG);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
    },
  );

  /** Free ports for the four services, whatever else runs on this machine. */
  const freePorts = async () => (await freeGraphPorts()).env;

  it.each([
    [
      'an unreachable DATABASE_URL',
      { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nothing_here' },
      /^npm start: invalid configuration: DATABASE_URL: cannot connect to PostgreSQL 127\.0\.0\.1:1\/nothing_here \(ECONNREFUSED: nothing listens there: start PostgreSQL, or fix the host and port\); fix DATABASE_URL, or unset it to use the embedded database$/,
    ],
    [
      'a DATABASE_URL naming a database that does not exist',
      { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/car_check_no_such_database' },
      /^npm start: invalid configuration: DATABASE_URL: cannot connect to .*car_check_no_such_database \(3D000: the database does not exist/,
    ],
    [
      'a subgraph’s own database URL that leads nowhere',
      { CAR_DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/car' },
      /^npm start: invalid configuration: CAR_DATABASE_URL: cannot connect to PostgreSQL 127\.0\.0\.1:1\/car \(ECONNREFUSED/,
    ],
    [
      'production without its signing secret',
      { NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: '' },
      /^npm start: invalid configuration: GATEWAY_SIGNING_SECRET: required in production/,
    ],
    [
      'production without a subgraph’s event signing key',
      { NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT },
      /^npm start: invalid configuration: CAR_EVENTS_PRIVATE_KEY: required in production/,
    ],
    [
      'production without the user subgraph’s token signing key',
      // Every other key given: the token key is the one thing missing.
      {
        NODE_ENV: 'production',
        GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT,
        ...TEST_EVENT_KEYS_ENV,
        JWT_PRIVATE_KEY: '',
      },
      /^npm start: invalid configuration: JWT_PRIVATE_KEY: required in production/,
    ],
  ])('%s: one line naming the variable, before any service starts', async (_what, env, line) => {
    const { code, stdout, stderr } = await startAll({
      ...(await freePorts()),
      DATA_DIR: '/nonexistent/must-not-be-created',
      ...env,
    });
    expect(code).toBe(EXIT_CONFIG);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
  });

  it.each([
    [
      'the car subgraph',
      'subgraphs/car/src/index.ts',
      { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/x' },
      /^car subgraph failed to start: invalid configuration: DATABASE_URL: cannot connect to PostgreSQL 127\.0\.0\.1:1\/x \(ECONNREFUSED/,
    ],
    [
      'the user subgraph',
      'subgraphs/user/src/index.ts',
      { NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: '' },
      /^user subgraph failed to start: invalid configuration: .*GATEWAY_SIGNING_SECRET: /,
    ],
    [
      'the gateway',
      'gateway/src/index.ts',
      { NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: '' },
      /^gateway failed to start: invalid configuration: .*GATEWAY_SIGNING_SECRET: /,
    ],
    [
      'the car subgraph’s migration job',
      'subgraphs/car/src/migrate.ts',
      { DATABASE_URL: 'notaurl' },
      /^.*failed to start: invalid configuration: DATABASE_URL: must be a postgres/,
    ],
    [
      'the car subgraph in production without its event signing key',
      'subgraphs/car/src/index.ts',
      { ...productionCar, CAR_EVENTS_PRIVATE_KEY: '' },
      /^car subgraph failed to start: invalid configuration: CAR_EVENTS_PRIVATE_KEY: required in production/,
    ],
    [
      'the car subgraph in production without the public key of the events it consumes',
      'subgraphs/car/src/index.ts',
      {
        ...productionCar,
        CAR_EVENTS_PRIVATE_KEY: generateKeyPairSync('ed25519')
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
        COST_CENTER_EVENTS_PUBLIC_KEY: '',
      },
      /^car subgraph failed to start: invalid configuration: COST_CENTER_EVENTS_PUBLIC_KEY: required in production/,
    ],
  ])(
    '%s on its own: a configuration mistake is one line on stderr naming the variable, and exit 78',
    async (_what, entry, env, line) => {
      const { code, stderr } = await run(entry, { ...(await freePorts()), LOG_LEVEL: 'error', ...env });
      expect(code).toBe(EXIT_CONFIG);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
    },
  );

  it('an occupied port: one line naming its variable, before any database is opened', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      // The other ports free, whatever else runs on this machine (a graph on 4000-4003, say).
      const others = (await freeGraphPorts()).env;
      const { code, stdout, stderr } = await startAll({
        ...others,
        COST_CENTER_PORT: String(port),
        DATA_DIR: '/nonexistent/must-not-be-created',
      });
      expect(code).toBe(EXIT_CONFIG);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        `npm start: invalid configuration: COST_CENTER_PORT: port ${port} on 127.0.0.1 is already in use (is the graph already running?); stop what uses it or set COST_CENTER_PORT to another port`,
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('two services on one port (CAR_PORT equal to GATEWAY_PORT): refused before start, one line naming both variables', async () => {
    const ports = await freePorts();
    const { code, stdout, stderr } = await startAll({
      ...ports,
      CAR_PORT: ports.GATEWAY_PORT,
      DATA_DIR: '/nonexistent/must-not-be-created',
    });
    expect(code).toBe(EXIT_CONFIG);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `npm start: invalid configuration: GATEWAY_PORT and CAR_PORT: both are ${ports.GATEWAY_PORT}; give each service a port of its own`,
    ]);
  });
});

describe('npm run start:service', () => {
  it('names the services it can start when given none or another name: one line, exit 64', async () => {
    for (const args of [[], ['fuel']]) {
      const { code, stderr } = await run('scripts/start-service.ts', {}, args);
      expect(code).toBe(64);
      expect(stderr.trim().split('\n')).toEqual([
        `usage: npm run start:service -- <${['gateway', ...subgraphNames()].join(' | ')}>${args.length ? ' (not "fuel")' : ''}`,
      ]);
    }
  });
});

/** Each service checks all of its configuration before its database is touched, and says when no restart can help. */
describe('a subgraph started on its own, on a new PostgreSQL database', () => {
  let databases: TestDatabases;
  beforeAll(async () => {
    databases = await createTestDatabases('postgres');
  });
  afterAll(async () => {
    await databases?.drop();
  });

  /** The database's URL; every subgraph has its own schema in it. */
  const databaseUrl = () => {
    const target = databases.target('unused');
    if (target.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
    return target.url;
  };
  const query = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };

  it('the user subgraph in production without JWT_PRIVATE_KEY: one line, exit 78, no migration applied', async () => {
    // As `npm run start:service -- user` runs it.
    const { code, stderr } = await run(
      'scripts/start-service.ts',
      {
        USER_PORT: String(await freePort()),
        NODE_ENV: 'production',
        GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT,
        JWT_PRIVATE_KEY: '',
        DATABASE_URL: databaseUrl(),
        LOG_LEVEL: 'error',
      },
      ['user'],
    );
    expect(code).toBe(EXIT_CONFIG);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^user subgraph failed to start: invalid configuration: JWT_PRIVATE_KEY: required in production/,
      ),
    ]);
    // Not even the history table: the database was never touched.
    expect(await query(`SELECT to_regclass('users."_prisma_migrations"')::text AS history`)).toEqual([
      { history: null },
    ]);
  });

  it('a migration recorded in the database but missing from the code: one line, exit 65 (a restart cannot fix it)', async () => {
    await query('CREATE SCHEMA IF NOT EXISTS "cost_center_history"');
    await query(`CREATE TABLE "cost_center_history"."_prisma_migrations" (
      id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL,
      logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
    await query(
      `INSERT INTO "cost_center_history"."_prisma_migrations" (id, checksum, migration_name, finished_at) VALUES ('1', 'x', '29990101000000_from_another_branch', now())`,
    );
    const { code, stderr } = await run('subgraphs/cost-center/src/index.ts', {
      COST_CENTER_PORT: String(await freePort()),
      DATABASE_URL: databaseUrl(),
      COST_CENTER_DATABASE_SCHEMA: 'cost_center_history',
      LOG_LEVEL: 'error',
    });
    expect(code).toBe(EXIT_MIGRATION_HISTORY);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^cost-center subgraph failed to start: Migration 29990101000000_from_another_branch is applied but missing from /,
      ),
    ]);
  });
});
