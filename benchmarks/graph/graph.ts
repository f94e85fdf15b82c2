/**
 * The graph as four processes for `npm run bench:graph`, like
 * benchmarks/lib/processGraph.ts but with what this benchmark needs on top:
 *  - a signing secret chosen here (GATEWAY_SIGNING_SECRET), so requests sent
 *    straight to a subgraph can be signed as the gateway signs them;
 *  - PostgreSQL (a fresh database, created, seeded and dropped here) or PGlite
 *    in a temporary DATA_DIR;
 *  - each service in its own process group, stopped in order (gateway first)
 *    with a bounded wait and SIGKILL after it, however the run ends;
 *  - a minimal environment, so nothing inherited (REDIS_URL, a DATABASE_URL,
 *    subgraph URLs) sends traffic anywhere but 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { quoteIdent } from '@car-check/subgraph-kit';
import { subgraphNames } from '@car-check/service-kit';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import {
  freePort,
  portVariableOf,
  serviceArgv,
  serviceNames,
  subgraphUrlEnv,
  type ServiceName,
} from '../lib/processGraph';

const ROOT = path.resolve(__dirname, '..', '..');
export type { ServiceName };

export const SEED_PASSWORD = 'dev-password';
const SHUTDOWN_GRACE_MS = 2_000;
const START_TIMEOUT_MS = 120_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface BenchGraphOptions {
  /** PostgreSQL server URL (a maintenance database such as /postgres) to create a fresh database on; unset: PGlite. */
  postgresAdminUrl?: string;
  log: (line: string) => void;
  /** Extra environment of the gateway only. */
  gatewayEnv?: NodeJS.ProcessEnv;
  /** Extra environment of every service (and of the seeding), e.g. AMQP_URL. */
  serviceEnv?: NodeJS.ProcessEnv;
  /** A service exited on its own (not stopped by {@link BenchGraph.stop}). */
  onUnexpectedExit?: (service: ServiceName, how: string) => void;
}

export class BenchGraph {
  /** The HMAC secret every service signs and checks identities with (UTF-8 bytes of GATEWAY_SIGNING_SECRET). */
  readonly secret: Buffer;
  readonly ports = {} as Record<ServiceName, number>;
  private readonly secretText = randomBytes(48).toString('base64url'); // 64 characters
  /** MANAGEMENT_TOKEN of every service: reads `/metrics` and `/ready`'s details. */
  readonly managementToken = randomBytes(32).toString('base64url');
  private readonly children = new Map<ServiceName, ChildProcess>();
  private readonly helpers = new Set<ChildProcess>();
  private dataDir = '';
  private database: { name: string; adminUrl: string; url: string } | null = null;
  private stopping: Promise<void> | null = null;
  private stopRequested = false;
  /** The CREATE DATABASE in progress, so that stopping waits for it before dropping. */
  private creating: Promise<unknown> | null = null;

  constructor(private readonly options: BenchGraphOptions) {
    this.secret = Buffer.from(this.secretText);
    if (options.postgresAdminUrl) {
      const host = new URL(options.postgresAdminUrl).hostname;
      if (!LOOPBACK.has(host))
        throw new Error(
          `refusing a PostgreSQL server that is not on this machine (${host}): the benchmark only talks to 127.0.0.1`,
        );
    }
  }

  /** The fresh PostgreSQL database the graph runs on (each subgraph in its own schema), when it does. */
  get databaseUrl(): string | undefined {
    return this.database?.url;
  }

  get backend(): string {
    return this.database ? `postgresql (database ${this.database.name})` : 'pglite (embedded, temporary DATA_DIR)';
  }

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  pid(service: ServiceName): number | undefined {
    return this.children.get(service)?.pid;
  }

  async start(): Promise<void> {
    if (this.stopRequested) throw new Error('stopped before start-up');
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-bench-graph-'));
    for (const service of serviceNames()) this.ports[service] = await freePort();
    if (this.options.postgresAdminUrl) await this.createDatabase(this.options.postgresAdminUrl);
    await Promise.all(subgraphNames().map((name) => this.startService(name)));
    await this.startService('gateway');
  }

  private baseEnv(): NodeJS.ProcessEnv {
    const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT'];
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]]),
    );
    return {
      ...env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      LOG_PRETTY: 'false',
      DATA_DIR: this.dataDir,
      GATEWAY_SIGNING_SECRET: this.secretText,
      MANAGEMENT_TOKEN: this.managementToken,
      SEED_PASSWORD,
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
      // The benchmark signs in once and then sends as fast as it can: no rate limit in the way.
      RATE_LIMIT_PER_MINUTE: '1000000000',
      ...subgraphUrlEnv((service) => this.url(service)),
      ...(this.database ? { DATABASE_URL: this.database.url } : {}),
      ...this.options.serviceEnv,
    };
  }

  private async startService(name: ServiceName): Promise<void> {
    if (this.stopRequested) throw new Error('stopped before start-up finished');
    const env = {
      ...this.baseEnv(),
      ...(name === 'gateway' ? this.options.gatewayEnv : {}),
      [portVariableOf(name)]: String(this.ports[name]),
    };
    // Its own process group: a terminal's Ctrl-C reaches only this process, which stops the graph in order.
    const child = spawn(process.execPath, await serviceArgv(name), {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    this.children.set(name, child);
    child.once('exit', (code, signal) => {
      if (!this.stopRequested) this.options.onUnexpectedExit?.(name, signal ?? `code ${code}`);
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`${name} exited during start-up (${signal ?? `code ${code}`})`)),
      ),
    );
    exited.catch(() => undefined);
    // /ready: a subgraph has its database migrated (and seeded), the gateway has its supergraph.
    await Promise.race([waitForHealthy(`${this.url(name)}/ready`, START_TIMEOUT_MS), exited]);
  }

  private async createDatabase(adminUrl: string): Promise<void> {
    const name = `car_check_bench_graph_${randomBytes(6).toString('hex')}`;
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    if (this.stopRequested) throw new Error('stopped before start-up finished');
    this.database = { name, adminUrl, url: url.toString() };
    this.creating = withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));
    await this.creating;
    if (this.stopRequested) throw new Error('stopped before start-up finished');
    this.options.log(`created database ${name}; migrating and seeding it`);
    // `npm run db:seed` migrates each subgraph's schema and loads the demo fleet (idempotently).
    const seeder = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/db-seed.ts')], {
      cwd: ROOT,
      env: this.baseEnv(),
      stdio: ['ignore', 'ignore', 'inherit'],
      detached: true,
    });
    this.helpers.add(seeder);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('db:seed took more than 120 s')), START_TIMEOUT_MS);
        seeder.once('exit', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`db:seed failed (${signal ?? `code ${code}`})`));
        });
      });
    } finally {
      if (seeder.exitCode === null && seeder.signalCode === null) killGroup(seeder, 'SIGKILL');
      this.helpers.delete(seeder);
    }
  }

  /** Stops everything started, in order, whatever state it is in; safe to call more than once. */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    for (const helper of this.helpers) killGroup(helper, 'SIGKILL');
    // The gateway first, so it stops sending to subgraphs, then the subgraphs.
    await this.stopService('gateway');
    await Promise.all(subgraphNames().map((name) => this.stopService(name)));
    if (this.database) {
      const { name, adminUrl } = this.database;
      try {
        await this.creating?.catch(() => undefined);
        await withClient(adminUrl, (client) =>
          client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
        );
        this.options.log(`dropped database ${name}`);
      } catch (error) {
        this.options.log(`could not drop database ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  private async stopService(name: ServiceName): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    const done = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), SHUTDOWN_GRACE_MS + 5_000);
    await done;
    clearTimeout(timer);
    // Anything the service left in its group goes with it.
    killGroup(child, 'SIGKILL');
    this.children.delete(name);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
