import { randomBytes } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  subgraphDatabaseUrlVariable,
  subgraphNames,
  subgraphPortVariable,
  subgraphRegistration,
  subgraphUrlVariable,
} from '@car-check/service-kit';
import { freePort } from '../../benchmarks/lib/processGraph';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { createTestDatabases, type TestDatabases } from '@car-check/test-support/databases';
import { postGraphQL } from '@car-check/test-support/graphql';
import { waitFor } from '@car-check/test-support/waitFor';
import { TEST_EVENT_KEYS_ENV, TEST_JWT_PRIVATE_KEY, TEST_SIGNING_SECRET_TEXT } from '@car-check/test-support/secrets';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN_PASSWORD = 'built-admin-password-1';
const START_TIMEOUT_MS = 90_000;

/**
 * The services as their images run them: each from its package's built
 * JavaScript with plain `node` (no tsx), NODE_ENV=production, every subgraph on
 * a PostgreSQL database of its own, migrated first by its migration command
 * (MIGRATE_ON_START=false, as in the Kubernetes manifests), the first
 * administrator created by the user package's bootstrap command. On PostgreSQL,
 * as production runs (embedded databases only when TEST_BACKENDS leaves PostgreSQL out).
 */
const backend = ONE_BACKEND;

describe(`every service started from its build with node, production settings (${backend})`, () => {
  const databases: TestDatabases[] = [];
  let dataDir = '';
  const children: { name: string; child: ChildProcess; output: string[] }[] = [];
  const env: NodeJS.ProcessEnv = {
    // Only what a container would have: no npm, tsx or dev tooling on the command line.
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT,
    JWT_PRIVATE_KEY: TEST_JWT_PRIVATE_KEY,
    ...TEST_EVENT_KEYS_ENV,
    // The webhook subgraph's key for the endpoints' secrets, required in production.
    WEBHOOK_SECRETS_KEY: randomBytes(32).toString('base64'),
    MIGRATE_ON_START: 'false',
  };
  let gatewayUrl = '';

  const entry = (pkg: string, file: string) => path.join(ROOT, pkg, 'dist', file);
  const packageOf = (name: string) =>
    name === 'gateway' ? 'gateway' : path.relative(ROOT, subgraphRegistration(name).packageDir);

  function start(name: string, extra: NodeJS.ProcessEnv = {}): void {
    const child = spawn(process.execPath, [entry(packageOf(name), 'index.js')], {
      cwd: ROOT,
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    children.push({ name, child, output });
  }

  async function ready(name: string, port: number): Promise<void> {
    try {
      await waitForHealthy(`http://127.0.0.1:${port}/ready`, START_TIMEOUT_MS);
    } catch (error) {
      const logs = children.find((each) => each.name === name)?.output.join('') ?? '';
      throw new Error(`${name} did not become ready: ${String(error)}\n${logs}`);
    }
  }

  beforeAll(async () => {
    // The services' packages only (not web/, whose build other tests serve), incremental:
    // seconds when nothing changed, and never stale.
    const packages = ['gateway', ...subgraphNames().map((name) => packageOf(name))];
    await run('npm', ['run', 'build', ...packages.flatMap((pkg) => ['-w', pkg])], { cwd: ROOT, timeout: 300_000 });

    if (backend === 'pglite') env.DATA_DIR = dataDir = await mkdtemp(path.join(os.tmpdir(), 'built-services-'));
    const gatewayPort = await freePort();
    const ports: Record<string, number> = {};
    for (const name of subgraphNames()) {
      ports[name] = await freePort();
      if (backend === 'postgres') {
        const database = await createTestDatabases('postgres');
        databases.push(database);
        const target = database.target('public');
        if (target.kind !== 'postgres') throw new Error('expected a PostgreSQL target');
        env[subgraphDatabaseUrlVariable(name)] = target.url;
      }
      env[subgraphPortVariable(name)] = String(ports[name]);
      env[subgraphUrlVariable(name)] = `http://127.0.0.1:${ports[name]}/graphql`;
    }
    env.GATEWAY_PORT = String(gatewayPort);

    // Each subgraph's migration command on its own database, all at once, as a deployment's jobs run.
    await Promise.all(
      subgraphNames().map((name) =>
        run(process.execPath, [entry(packageOf(name), 'migrate.js')], { cwd: ROOT, env, timeout: 120_000 }),
      ),
    );
    await run(
      process.execPath,
      [entry('subgraphs/user', 'bootstrapAdminCommand.js'), '--username', 'root', '--email', 'root@example.com'],
      { cwd: ROOT, env: { ...env, ADMIN_PASSWORD }, timeout: 120_000 },
    );

    for (const name of subgraphNames()) start(name);
    await Promise.all(subgraphNames().map((name) => ready(name, ports[name]!)));
    start('gateway');
    await ready('gateway', gatewayPort);
    gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
  }, 420_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all(databases.map((database) => database.drop()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('runs plain node on the built entry points, nothing else', () => {
    for (const { name, child } of children) {
      expect([name, child.spawnargs]).toEqual([name, [process.execPath, entry(packageOf(name), 'index.js')]]);
      expect([name, child.exitCode]).toEqual([name, null]);
    }
  });

  it('serves a query across all three subgraphs to the bootstrapped administrator', async () => {
    const login = await postGraphQL(gatewayUrl, {
      query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id } } }',
      variables: { u: 'root', p: ADMIN_PASSWORD },
    });
    const { token, user } = (login.data as { login: { token: string; user: { id: string } } }).login;
    const headers = { authorization: `Bearer ${token}` };

    const costCenter = await postGraphQL(
      gatewayUrl,
      {
        query: 'mutation($input: CreateCostCenterInput!) { createCostCenter(input: $input) { id } }',
        variables: { input: { code: 'BUILT-1', societyName: 'Built Society', managerId: user.id } },
      },
      headers,
    );
    const costCenterId = (costCenter.data as { createCostCenter: { id: string } }).createCostCenter.id;
    const car = await postGraphQL(
      gatewayUrl,
      {
        query: 'mutation($input: CreateCarInput!) { createCar(input: $input) { id } }',
        variables: { input: { brand: 'Renault', model: 'Zoe', costCenterId } },
      },
      headers,
    );
    expect(car.errors).toBeUndefined();

    const cars = await postGraphQL(
      gatewayUrl,
      { query: '{ cars(first: 5) { totalCount edges { node { model costCenter { code manager { username } } } } } }' },
      headers,
    );
    expect(cars.errors).toBeUndefined();
    expect(cars.data).toEqual({
      cars: {
        totalCount: 1,
        edges: [{ node: { model: 'Zoe', costCenter: { code: 'BUILT-1', manager: { username: 'root' } } } }],
      },
    });
    // The car subgraph's replica applied the cost center's event, signed and verified with the configured keys.
    await waitFor(
      async () => {
        const filtered = await postGraphQL(
          gatewayUrl,
          { query: '{ cars(first: 5, filter: { costCenterCode: "BUILT-1" }) { totalCount } }' },
          headers,
        );
        return (filtered.data as { cars?: { totalCount: number } } | undefined)?.cars?.totalCount === 1;
      },
      120_000,
      'the car replica to apply the signed cost-center event',
    );
  }, 180_000);

  it('is in production mode: no demo data, no introspection', async () => {
    const response = await postGraphQL(gatewayUrl, { query: '{ __schema { queryType { name } } }' });
    expect(response.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
  });
});
