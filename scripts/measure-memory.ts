/**
 * `npx tsx scripts/measure-memory.ts [--backend embedded,embedded-restart,npm-start,postgres] [--requests 400]
 *   [--concurrency 8] [--idle-seconds 8] [--launch built|tsx] [--json FILE]`
 *
 * Memory of the graph per process. Starts the graph the way `npm start` does (the subgraph
 * host's bundle, every subgraph in one process, then the gateway's, with node's idle-memory
 * flags: scripts/lib/subgraphHost.ts, scripts/lib/serviceLaunch.ts; `--launch tsx`: each
 * service as `node --import tsx <entry>`, in a process of its own, as `npm run dev` does)
 * on free ports, then:
 *
 *   1. idle: waits until every service is healthy plus `--idle-seconds`, and takes
 *      the median of several VmRSS samples (no GraphQL traffic yet);
 *   2. load: signs in as the demo admin and sends `--requests` queries through the
 *      gateway (`--concurrency` at a time: cars with their cost center and its
 *      manager, and a few others), sampling VmRSS every 100 ms for the peak;
 *   3. prints a table: idle, peak under load and after-load RSS, plus VmHWM (the
 *      kernel's high-water mark, which also covers start-up, migrations, seeding).
 *
 * Each figure is the sum over the service's process and all its descendants
 * (/proc/<pid>/status), so a database server a service starts is counted with it
 * (and tsx's esbuild helper, ~13 MB, when tsx had to compile). A child that has
 * exited by then, such as the embedded database's one-off initdb on a first start,
 * is not in VmHWM. The gateway runs with APOLLO_TELEMETRY_DISABLED, so that the
 * measurement sends no traffic off this machine.
 *
 * Backends: `embedded` is a first start on fresh embedded databases in a temporary
 * DATA_DIR (initdb, migrations, demo data); `embedded-restart` starts the graph once
 * on such a folder, stops it, and measures the second start on the existing data;
 * `npm-start` does the same through `npm start` itself (free ports, a temporary
 * DATA_DIR, nothing else set), so that npm and the supervisor are counted too: all
 * processes of the graph a person runs (the web pages' one-off build excepted: it
 * ends, and the measurement waits for it);
 * `postgres` creates one database per subgraph on MEASURE_DATABASE_URL (default
 * TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres), seeds
 * them with `scripts/db-seed.ts`, and drops them afterwards. For PostgreSQL the
 * server's own backends are reported apart (PSS, so shared buffers count once).
 * By default: the embedded ones and npm-start, and postgres too when that server answers.
 *
 * Every process started is stopped and every temporary folder and database is
 * removed, also on Ctrl-C or failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  isAlive,
  subgraphDatabaseUrlVariable,
  subgraphNames,
  subgraphPortVariable,
  subgraphRegistration,
  subgraphUrlVariable,
} from '@car-check/service-kit';
import { waitForHealthy } from './lib/waitForHealthy';
import { freePort } from '../benchmarks/lib/processGraph';
import { bundleServices } from './lib/serviceBundle';
import { serviceArgs, serviceEnv } from './lib/serviceLaunch';
import { SUBGRAPH_HOST, subgraphHostBundle } from './lib/subgraphHost';

const ROOT = path.resolve(__dirname, '..');
// Every service of the graph: the gateway and each subgraph supergraph.yaml lists.
const SUBGRAPHS = subgraphNames();
const SERVICES = ['gateway', ...SUBGRAPHS];
type Service = string;
const PACKAGE_DIRS: Record<Service, string> = {
  gateway: path.join(ROOT, 'gateway'),
  ...Object.fromEntries(SUBGRAPHS.map((name) => [name, subgraphRegistration(name).packageDir])),
};
const entryOf = (service: Service) => path.join(PACKAGE_DIRS[service]!, 'src', 'index.ts');
/**
 * The processes the graph runs as, each a row of the table: npm start's two (the gateway and
 * the subgraph host, scripts/lib/subgraphHost.ts), or under tsx one per service, as npm run dev.
 */
const processesOf = (launch: Options['launch']): string[] =>
  launch === 'built' ? ['gateway', SUBGRAPH_HOST] : SERVICES;
/** The services a process serves, each answering /health on its own port. */
const servedBy = (name: string): Service[] => (name === SUBGRAPH_HOST ? SUBGRAPHS : [name]);
/** What npm start and the shell and node processes between it and the services count as, in the table. */
const LAUNCHER = 'npm + supervisor';
// A first start on a loaded machine (initdb, migrations, demo data) takes minutes; npm start allows 300 s too.
const STARTUP_TIMEOUT_MS = 300_000;

const QUERIES = [
  '{ cars(first: 40) { totalCount edges { node { brand model costCenter { code manager { username } } } } } }',
  '{ cars(first: 10) { edges { node { id brand costCenter { code societyName } } } } }',
  '{ costCenters { edges { node { code societyName manager { username } } } } }',
  '{ users(first: 5) { totalCount edges { node { username groups } } } }',
];

/**
 * `embedded`: first start on an empty DATA_DIR (creates, migrates and seeds each database);
 * `embedded-restart`: a later start on the data a first start left (what `npm start` usually does);
 * `postgres`: one PostgreSQL database per subgraph.
 */
type Backend = 'embedded' | 'embedded-restart' | 'npm-start' | 'postgres';
const BACKENDS: Backend[] = ['embedded', 'embedded-restart', 'npm-start', 'postgres'];

interface Figures {
  idleKb: number;
  peakKb: number;
  afterKb: number;
  hwmKb: number;
  processes: number;
}

interface RunResult {
  backend: Backend;
  services: Record<Service, Figures>;
  /** PostgreSQL server backends serving this run's databases (PSS, kB), or null. */
  serverPss: { idleKb: number; peakKb: number } | null;
  requests: { sent: number; ok: number; failed: number; seconds: number };
  loadAverage: number[];
}

// ---- what we started, for clean-up --------------------------------------------------

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

function killAll(signal: NodeJS.Signals): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(child.pid, signal);
      } catch {
        // already gone
      }
    }
  }
}

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

async function cleanUp(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
  for (const cleanup of cleanups.splice(0).reverse())
    await cleanup().catch((error) => console.error(`clean-up: ${String(error)}`));
}

process.on('exit', () => killAll('SIGKILL'));
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping every service and removing temporary data…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---- /proc ------------------------------------------------------------------------

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

function pssKb(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants. */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

function treeRssKb(root: number): { rss: number; hwm: number; processes: number } {
  const pids = processTree(root);
  return {
    rss: pids.reduce((sum, pid) => sum + statusField(pid, 'VmRSS'), 0),
    hwm: pids.reduce((sum, pid) => sum + statusField(pid, 'VmHWM'), 0),
    processes: pids.length,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;

// ---- the graph --------------------------------------------------------------------

/** Waits for a child's health URL; fails at once when the child exits first. */
async function waitForHealthyChild(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const exited = new AbortController();
  const onExit = () => exited.abort(new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode})`));
  if (child.exitCode !== null || child.signalCode !== null) onExit();
  else child.once('exit', onExit);
  try {
    await waitForHealthy(url, timeoutMs, { signal: exited.signal });
  } finally {
    child.off('exit', onExit);
  }
}

function run(command: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.add(child);
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`${command.join(' ')} exited with ${code}`));
    });
  });
}

interface PostgresSetup {
  env: NodeJS.ProcessEnv;
  databases: string[];
  admin: string;
}

async function createPostgresDatabases(adminUrl: string): Promise<PostgresSetup> {
  const base = `car_check_mem_${randomBytes(4).toString('hex')}`;
  const databases = SUBGRAPHS.map((name) => `${base}_${name.replace('-', '_')}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const database of databases) {
      await admin.query(`CREATE DATABASE "${database}"`);
      cleanups.push(() => dropDatabase(adminUrl, database));
    }
  } finally {
    await admin.end();
  }
  const env: NodeJS.ProcessEnv = {};
  SUBGRAPHS.forEach((name, i) => {
    const url = new URL(adminUrl);
    url.pathname = `/${databases[i]}`;
    env[subgraphDatabaseUrlVariable(name)] = url.toString();
  });
  return { env, databases, admin: adminUrl };
}

async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** PSS of the server backends connected to the given databases (shared memory counted once, split among them). */
async function serverPssKb(setup: PostgresSetup): Promise<number> {
  const admin = new pg.Client({ connectionString: setup.admin });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [
      setup.databases,
    ]);
    return rows.reduce((sum, row) => sum + pssKb(row.pid), 0);
  } catch {
    return 0; // another host, or no permission to read /proc: not reported
  } finally {
    await admin.end();
  }
}

/** What this script reads of an answer: whether it has data, and the login mutation's token. */
interface GraphQLAnswer {
  data?: { login?: { token?: string } };
  errors?: unknown[];
}

async function postGraphQL(url: string, query: string, headers: Record<string, string> = {}): Promise<GraphQLAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as GraphQLAnswer;
}

interface Options {
  requests: number;
  concurrency: number;
  idleSeconds: number;
  postgresUrl: string;
  launch: 'built' | 'tsx';
}

/** Each service's process tree, by name; for npm-start also npm's, less the services' (LAUNCHER). */
type Sampler = () => Map<string, ReturnType<typeof treeRssKb>>;

async function startGraph(backend: Backend, options: Options) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-memory-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const ports = {} as Record<Service, number>;
  for (const service of SERVICES) ports[service] = await freePort();
  const url = (service: Service) => `http://127.0.0.1:${ports[service]}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    DATA_DIR: dataDir,
    RATE_LIMIT_PER_MINUTE: '10000000',
    // @apollo/gateway otherwise reports usage to Apollo and probes cloud metadata
    // servers (169.254.169.254): a measurement sends traffic to this machine only.
    APOLLO_TELEMETRY_DISABLED: 'true',
    METADATA_SERVER_DETECTION: 'none',
    ...Object.fromEntries(SUBGRAPHS.map((name) => [subgraphUrlVariable(name), `${url(name)}/graphql`])),
    ...Object.fromEntries(
      SERVICES.map((service) => [
        service === 'gateway' ? 'GATEWAY_PORT' : subgraphPortVariable(service),
        String(ports[service]),
      ]),
    ),
  };
  // Whatever the calling shell has must not redirect the run.
  for (const name of ['DATABASE_URL', 'REDIS_URL', ...SUBGRAPHS.map(subgraphDatabaseUrlVariable)]) delete env[name];
  if (backend === 'npm-start') return startThroughNpm(env, url, options);

  let setup: PostgresSetup | null = null;
  if (backend === 'postgres') {
    setup = await createPostgresDatabases(options.postgresUrl);
    Object.assign(env, setup.env);
    // Subgraphs seed only embedded databases; PostgreSQL gets the demo fleet as an operator would.
    await run(['--import', 'tsx', path.join(ROOT, 'scripts/db-seed.ts')], { ...env, LOG_LEVEL: 'error' });
  }

  const processes = new Map<string, ChildProcess>();
  const names = processesOf(options.launch);
  const subgraphProcesses = names.filter((name) => name !== 'gateway');
  // Bundled once, as npm start does before it starts anything (not measured).
  const bundles =
    options.launch === 'built'
      ? await bundleServices(
          [
            { name: 'gateway', entry: entryOf('gateway'), packageDir: PACKAGE_DIRS.gateway! },
            subgraphHostBundle(
              SUBGRAPHS.map((name) => subgraphRegistration(name).definitionFile),
              ROOT,
            ),
          ],
          ROOT,
        )
      : null;
  const start = async (name: string) => {
    const args = bundles ? serviceArgs(bundles[name]!.file) : ['--import', 'tsx', entryOf(name)];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: bundles ? serviceEnv(env) : env,
      stdio: 'inherit',
    });
    children.add(child);
    processes.set(name, child);
    await Promise.all(
      servedBy(name).map((service) => waitForHealthyChild(`${url(service)}/health`, child, STARTUP_TIMEOUT_MS)),
    );
  };
  if (backend === 'embedded-restart') {
    // A first start creates and seeds the databases; it is not measured.
    await Promise.all(subgraphProcesses.map((name) => start(name)));
    await start('gateway');
    for (const name of names) await stopChild(processes.get(name)!);
    processes.clear();
  }
  const startedAt = Date.now();
  await Promise.all(subgraphProcesses.map((name) => start(name)));
  await start('gateway');
  console.error(
    `[${backend}] graph ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; idle for ${options.idleSeconds} s`,
  );
  const sample: Sampler = () => new Map(names.map((name) => [name, treeRssKb(processes.get(name)!.pid!)]));
  const stop = async () => {
    for (const name of names) await stopChild(processes.get(name)!);
  };
  return { sample, stop, url, setup };
}

/**
 * `npm start` twice on one DATA_DIR (the first start creates and seeds the databases,
 * and is not measured): the services are found by the pids the supervisor prints.
 */
async function startThroughNpm(env: NodeJS.ProcessEnv, url: (service: Service) => string, options: Options) {
  const launch = async () => {
    let output = '';
    const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(npm);
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const service of SERVICES)
      await waitForHealthyChild(`${url(service)}/health`, npm, STARTUP_TIMEOUT_MS).catch((error: Error) => {
        throw new Error(`${error.message}\n${output.split('\n').slice(-30).join('\n')}`);
      });
    // The web pages' first build runs in the supervisor's tree and ends: wait for it.
    if (output.includes('web: building'))
      while (!/^web: /m.test(output.split('web: building')[1] ?? '')) await delay(500);
    const pids = new Map<string, number>();
    for (const name of processesOf('built')) {
      const started = [...output.matchAll(new RegExp(`^supervisor: started ${name} \\(pid (\\d+)\\)$`, 'gm'))];
      pids.set(name, Number(started.at(-1)![1]));
    }
    return { npm, pids };
  };
  const first = await launch();
  await stopChild(first.npm, 60_000);
  // npm may be gone before the services it stopped: the second start needs their ports and data folders.
  while ([...first.pids.values()].some(isAlive)) await delay(200);
  const startedAt = Date.now();
  const { npm, pids } = await launch();
  console.error(
    `[npm-start] graph ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; idle for ${options.idleSeconds} s`,
  );
  const sample: Sampler = () => {
    const services = new Map([...pids].map(([name, pid]) => [name, treeRssKb(pid)]));
    const whole = treeRssKb(npm.pid!);
    const servicesTotal = (field: 'rss' | 'hwm' | 'processes') =>
      [...services.values()].reduce((sum, figures) => sum + figures[field], 0);
    return new Map([
      ...services,
      [
        LAUNCHER,
        {
          rss: whole.rss - servicesTotal('rss'),
          hwm: whole.hwm - servicesTotal('hwm'),
          processes: whole.processes - servicesTotal('processes'),
        },
      ],
    ]);
  };
  return { sample, stop: () => stopChild(npm, 60_000), url, setup: null };
}

async function measure(backend: Backend, options: Options): Promise<RunResult> {
  const { sample, stop, url, setup } = await startGraph(backend, options);
  const measured = [...sample().keys()];

  // Idle: settle, then the median of a few samples.
  await delay(options.idleSeconds * 1000);
  const idleSamples: Map<Service, ReturnType<typeof treeRssKb>>[] = [];
  for (let i = 0; i < 5; i++) {
    idleSamples.push(sample());
    await delay(400);
  }
  const idle = new Map(measured.map((service) => [service, median(idleSamples.map((s) => s.get(service)!.rss))]));
  const serverIdle = setup ? await serverPssKb(setup) : 0;

  // Load.
  const peaks = new Map(measured.map((service) => [service, idle.get(service)!]));
  let serverPeak = serverIdle;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const [service, figures] of sample()) peaks.set(service, Math.max(peaks.get(service)!, figures.rss));
      if (setup) serverPeak = Math.max(serverPeak, await serverPssKb(setup));
      await delay(100);
    }
  })();
  const gateway = `${url('gateway')}/graphql`;
  const login = await postGraphQL(gateway, 'mutation { login(username: "admin", password: "dev-password") { token } }');
  const token = login.data?.login?.token;
  if (!token) throw new Error(`could not sign in as admin: ${JSON.stringify(login.errors)}`);
  const auth = { authorization: `Bearer ${token}` };
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const loadStarted = Date.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (sent < options.requests) {
        const query = QUERIES[sent++ % QUERIES.length]!;
        try {
          const response = await postGraphQL(gateway, query, auth);
          if (response.errors?.length || !response.data) failed++;
          else ok++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  await delay(1_000);
  sampling = false;
  await sampler;
  if (failed > 0) console.error(`[${backend}] ${failed} of ${sent} requests failed`);
  const after = sample();

  const services = Object.fromEntries(
    measured.map((service) => {
      const now = after.get(service)!;
      return [
        service,
        {
          idleKb: idle.get(service)!,
          peakKb: Math.max(peaks.get(service)!, now.rss),
          afterKb: now.rss,
          hwmKb: now.hwm,
          processes: now.processes,
        },
      ];
    }),
  ) as Record<Service, Figures>;
  const result: RunResult = {
    backend,
    services,
    serverPss: setup ? { idleKb: serverIdle, peakKb: serverPeak } : null,
    requests: { sent, ok, failed, seconds: loadSeconds },
    loadAverage: os.loadavg(),
  };

  await stop();
  await cleanUp();
  return result;
}

function table(results: RunResult[]): string {
  const lines = [
    '| backend | process | idle RSS | peak RSS under load | RSS after load | VmHWM (incl. start-up) |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    let total = { idle: 0, peak: 0, hwm: 0 };
    for (const [service, f] of Object.entries(result.services)) {
      total = { idle: total.idle + f.idleKb, peak: total.peak + f.peakKb, hwm: total.hwm + f.hwmKb };
      const note = f.processes > 1 ? ` (${f.processes} processes)` : '';
      lines.push(
        `| ${result.backend} | ${service}${note} | ${mib(f.idleKb)} | ${mib(f.peakKb)} | ${mib(f.afterKb)} | ${mib(f.hwmKb)} |`,
      );
    }
    lines.push(
      `| ${result.backend} | **all** | **${mib(total.idle)}** | ${mib(total.peak)} (sum of peaks) | | ${mib(total.hwm)} |`,
    );
    if (result.serverPss) {
      lines.push(
        `| ${result.backend} | PostgreSQL server backends (PSS, not in the sum) | ${mib(result.serverPss.idleKb)} | ${mib(result.serverPss.peakKb)} | | |`,
      );
    }
  }
  const notes = results.map(
    (r) =>
      `${r.backend}: ${r.requests.ok}/${r.requests.sent} queries ok in ${r.requests.seconds.toFixed(1)} s; ` +
      `load average at the end ${r.loadAverage.map((n) => n.toFixed(2)).join(' ')}`,
  );
  return `${lines.join('\n')}\n\n${notes.join('\n')}`;
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      requests: { type: 'string', default: '400' },
      concurrency: { type: 'string', default: '8' },
      'idle-seconds': { type: 'string', default: '8' },
      launch: { type: 'string', default: 'built' },
      json: { type: 'string' },
    },
  });
  const postgresUrl =
    process.env.MEASURE_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgresql://postgres@127.0.0.1:5432/postgres';
  let backends: Backend[];
  if (values.backend) {
    backends = values.backend.split(',').map((b) => b.trim()) as Backend[];
    for (const b of backends)
      if (!BACKENDS.includes(b)) throw new Error(`unknown backend ${b} (one of ${BACKENDS.join(', ')})`);
  } else {
    backends = ['embedded', 'embedded-restart', 'npm-start'];
    if (await postgresReachable(postgresUrl)) backends.push('postgres');
    else
      console.error(
        `PostgreSQL at ${new URL(postgresUrl).host} does not answer: measuring the embedded databases only`,
      );
  }
  const options = {
    requests: Number(values.requests),
    concurrency: Number(values.concurrency),
    idleSeconds: Number(values['idle-seconds']),
    postgresUrl,
    launch: values.launch === 'tsx' ? ('tsx' as const) : ('built' as const),
  };
  if (values.launch !== 'tsx' && values.launch !== 'built') throw new Error('--launch is built or tsx');
  console.error(
    `load average before: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} (${os.cpus().length} CPUs)`,
  );
  const results: RunResult[] = [];
  for (const backend of backends) results.push(await measure(backend, options));
  console.log(table(results));
  if (values.json) await writeFile(values.json, `${JSON.stringify(results, null, 2)}\n`);
}

main()
  .catch(async (error: unknown) => {
    // After Ctrl-C, a start that was cut short is no failure to report.
    if (!interrupted) console.error(`measure-memory failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanUp();
  });
