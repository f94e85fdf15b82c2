import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../benchmarks/lib/processGraph';
import { EXIT_MIGRATION_HISTORY, subgraphNames, subgraphPortVariable } from '@car-check/service-kit';
import { createTestDatabases, type TestDatabases } from '@car-check/test-support/databases';
import { waitFor } from '@car-check/test-support/waitFor';
import { SUBGRAPH_HOST } from '../../scripts/lib/subgraphHost';

const ROOT = path.resolve(__dirname, '..', '..');
const MINUTE = 60_000;
// Every service npm start runs: the gateway and each subgraph supergraph.yaml lists.
const SERVICES = ['gateway', ...subgraphNames()];
// The processes it runs them in: the gateway, and every subgraph in the subgraph host.
const PROCESSES = ['gateway', SUBGRAPH_HOST];
type Service = string;
const PORT_VARIABLES: Record<Service, string> = Object.fromEntries(
  SERVICES.map((name) => [name, name === 'gateway' ? 'GATEWAY_PORT' : subgraphPortVariable(name)]),
);

/** Whether a process runs (a zombie waiting to be reaped does not). */
async function running(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Whether any process of a process group is left. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The parent of a process, from /proc. */
async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * `npm start` as a person runs it from a terminal: npm in a process group of its own
 * (npm, its shell, tsx and the supervisor in it; each service in a group of its own),
 * on free ports, a temporary DATA_DIR and a new PostgreSQL database (no initdb to wait for).
 */
class NpmStart {
  output = '';
  readonly ports = {} as Record<Service, number>;
  npm!: ChildProcess;
  exited!: Promise<number | null>;
  private dataDir = '';

  async start(databaseUrl: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    for (const name of SERVICES) this.ports[name] = await freePort();
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-start-stop-'));
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !/(_SUBGRAPH_URL|DATABASE_URL|DATABASE_SCHEMA|_SUBGRAPH_TIMEOUT_MS|^JWKS_URL|^TOKEN_STATUS_URL|^SUPERGRAPH_|^SUPERVISOR_PID$)/.test(
            name,
          ),
      ),
    );
    Object.assign(env, {
      NODE_ENV: 'development',
      ...Object.fromEntries(SERVICES.map((name) => [PORT_VARIABLES[name], String(this.ports[name])])),
      DATA_DIR: this.dataDir,
      DATABASE_URL: databaseUrl,
      LOG_PRETTY: 'false',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    });
    this.npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.npm.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.npm.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.npm.once('exit', (code) => resolve(code)));
  }

  startedPids(name: string): number[] {
    return [...this.output.matchAll(new RegExp(`^supervisor: started ${name} \\(pid (\\d+)\\)$`, 'gm'))].map((match) =>
      Number(match[1]),
    );
  }

  /** waitFor, with npm start's last lines in the message of a failure. */
  waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    return waitFor(check, timeoutMs, what).catch((error: Error) => {
      throw new Error(`${error.message}; npm start's last lines:\n${this.output.split('\n').slice(-40).join('\n')}`);
    });
  }

  /** True once no process of the graph is left and nothing listens on its ports. */
  async allGone(): Promise<boolean> {
    if (groupExists(this.npm.pid!)) return false;
    for (const name of PROCESSES) for (const pid of this.startedPids(name)) if (await running(pid)) return false;
    for (const name of SERVICES) if (await listening(this.ports[name]!)) return false;
    return true;
  }

  /** Whatever a failed test left behind. */
  async cleanUp(): Promise<void> {
    const pids = [...PROCESSES.flatMap((name) => this.startedPids(name)), ...(this.npm?.pid ? [-this.npm.pid] : [])];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

describe('npm start never leaves the graph behind', () => {
  let databases: TestDatabases;
  const graphs: NpmStart[] = [];

  beforeAll(async () => {
    databases = await createTestDatabases('postgres');
  });
  afterAll(async () => {
    for (const graph of graphs) await graph.cleanUp();
    await databases?.drop();
  }, MINUTE);

  const databaseUrl = () => {
    const target = databases.target('unused');
    if (target.kind !== 'postgres') throw new Error('expected a PostgreSQL database');
    return target.url;
  };

  /** `npm start` until its banner; one database for all graphs here, each subgraph its own schema per graph. */
  async function startGraph(schemaPrefix: string): Promise<NpmStart> {
    const graph = new NpmStart();
    graphs.push(graph);
    await graph.start(databaseUrl(), {
      CAR_DATABASE_SCHEMA: `${schemaPrefix}_car`,
      COST_CENTER_DATABASE_SCHEMA: `${schemaPrefix}_cost_center`,
      USER_DATABASE_SCHEMA: `${schemaPrefix}_users`,
      WEBHOOK_DATABASE_SCHEMA: `${schemaPrefix}_webhook`,
    });
    await graph.waitFor(() => /The car-check graph is up/.test(graph.output), 4 * MINUTE, 'the banner');
    return graph;
  }

  // What a process manager sends to the pid it started (pm2 sends SIGINT, systemd and Docker SIGTERM):
  // npm passes it on to its script's process, which must be the supervisor, not a shell that keeps it.
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to npm’s own process (not its group): the gateway stops, then the subgraphs, and nothing is left',
    async (signal) => {
      const graph = await startGraph(`${signal.toLowerCase()}_npm`);
      expect(PROCESSES.map((name) => graph.startedPids(name).length)).toEqual(PROCESSES.map(() => 1));

      process.kill(graph.npm.pid!, signal);
      await graph.waitFor(
        () => graph.allGone(),
        2 * MINUTE,
        'every process of the graph to exit and every port to close',
      );

      const lines = graph.output.split('\n');
      const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
      const gatewayExited = at(/^supervisor: gateway exited/);
      expect(gatewayExited).toBeGreaterThan(at(/^supervisor: stopping gateway/));
      expect(at(new RegExp(`^supervisor: stopping ${SUBGRAPH_HOST} `))).toBeGreaterThan(gatewayExited);
      // The host drained every subgraph, then exited on its own (0), not by the supervisor's SIGKILL.
      expect(at(new RegExp(`^supervisor: ${SUBGRAPH_HOST} exited \\(code 0\\)$`))).toBeGreaterThan(gatewayExited);
    },
    8 * MINUTE,
  );

  it(
    'SIGKILL to npm: the supervisor notices, and stops the graph',
    async () => {
      const graph = await startGraph('sigkill_npm');
      process.kill(graph.npm.pid!, 'SIGKILL');
      await graph.waitFor(
        () => graph.allGone(),
        2 * MINUTE,
        'every process of the graph to exit and every port to close',
      );
      expect(graph.output).toMatch(/^supervisor: stopping gateway/m);
    },
    8 * MINUTE,
  );

  it(
    'SIGKILL of the supervisor: every service notices and stops on its own',
    async () => {
      const graph = await startGraph('sigkill_supervisor');
      const supervisorPid = await parentOf(graph.startedPids(SUBGRAPH_HOST)[0]!);
      expect(await Promise.all(PROCESSES.map(async (name) => parentOf(graph.startedPids(name)[0]!)))).toEqual(
        PROCESSES.map(() => supervisorPid),
      );

      process.kill(supervisorPid, 'SIGKILL');
      await graph.waitFor(() => graph.allGone(), 2 * MINUTE, 'every service to exit and every port to close');
      expect(PROCESSES.map((name) => graph.startedPids(name).length)).toEqual(PROCESSES.map(() => 1));
    },
    8 * MINUTE,
  );

  it(
    'a migration recorded in the database but missing from the code: its one line, no restart, the whole graph stopped with a non-zero exit',
    async () => {
      const client = new pg.Client({ connectionString: databaseUrl() });
      await client.connect();
      try {
        // What a branch switch leaves: the car schema has a migration this checkout does not know.
        await client.query('CREATE SCHEMA "missing_migration_car"');
        await client.query(`CREATE TABLE "missing_migration_car"."_prisma_migrations" (
        id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL,
        logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
        await client.query(
          `INSERT INTO "missing_migration_car"."_prisma_migrations" (id, checksum, migration_name, finished_at) VALUES ('1', 'x', '29990101000000_from_another_branch', now())`,
        );
      } finally {
        await client.end();
      }
      const graph = new NpmStart();
      graphs.push(graph);
      await graph.start(databaseUrl(), {
        CAR_DATABASE_SCHEMA: 'missing_migration_car',
        COST_CENTER_DATABASE_SCHEMA: 'missing_migration_cost_center',
        USER_DATABASE_SCHEMA: 'missing_migration_users',
      });
      await graph.waitFor(
        () => graph.npm.exitCode !== null || graph.npm.signalCode !== null,
        4 * MINUTE,
        'npm start to exit',
      );
      const code = await graph.exited;

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const failures = graph.output.split('\n').filter((line) => line.startsWith('car subgraph failed to start'));
      expect(failures).toEqual([
        expect.stringMatching(
          /^car subgraph failed to start: Migration 29990101000000_from_another_branch is applied but missing from /,
        ),
      ]);
      expect(graph.output).toContain(
        `supervisor: ${SUBGRAPH_HOST} exited (code ${EXIT_MIGRATION_HISTORY}: a migration history that does not match the code, which no restart fixes); not restarting it`,
      );
      expect(graph.startedPids(SUBGRAPH_HOST)).toHaveLength(1);
      expect(graph.output).not.toMatch(/is up|GIVING UP/);
      await graph.waitFor(() => graph.allGone(), MINUTE, 'every process of the graph to exit and every port to close');
    },
    6 * MINUTE,
  );
});
