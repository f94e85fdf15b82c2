/**
 * `npm run bench:gateway [-- --seconds 10 --rounds 3]`
 *
 * Compares this project's gateway with three peers on the community federation
 * benchmark (benchmarks/federation/): stock Apollo Gateway, Hive Gateway
 * (--jit) and Hive Gateway + Hive Router runtime, each configured as
 * graphql-hive/graphql-gateways-benchmark configures it. See README.md beside
 * this file for what every column means.
 *
 * - Installs the peers (benchmarks/peers, its own package-lock.json) on first use.
 * - Runs the four subgraphs in their own process, and each gateway in its own
 *   process group, one gateway at a time, in an order that rotates every round.
 * - Drives each with autocannon (50 connections) on two workloads and checks
 *   every response byte for byte.
 * - Prints a table per workload (medians over rounds, RPS ratios taken within
 *   each round) and writes benchmarks/results/gateway-<date>.json and
 *   benchmarks/results/latest-gateway.json.
 * - Exits 1 if any gateway answered anything wrong or could not start.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { bundleServices } from '../../scripts/lib/serviceBundle';
import { freePort } from '../lib/processGraph';
import { EXPECTED, REQUEST_BODY, firstDifference, supergraphWithUrls } from '../federation/fixture';
import type { SubgraphName } from '../federation/subgraphs';
import { summarizeProfile, type CpuProfile } from '../graph/profileSummary';

const ROOT = path.resolve(__dirname, '..', '..');
const PEERS = path.join(ROOT, 'benchmarks', 'peers');
const RESULTS = path.join(ROOT, 'benchmarks', 'results');
const HIVE_BIN = path.join(PEERS, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');

const WARMUP_SECONDS = 1;
const REQUEST_TIMEOUT_SECONDS = 10;
const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 5_000;
const SAMPLE_MS = 250;
/** `--profile`: where this project's serving processes write a CPU profile of each measured run. */
const PROFILE_DIR = path.join(RESULTS, `gateway-profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const PROFILER = path.join(ROOT, 'benchmarks', 'graph', 'cpuProfiler.cjs');
const PROFILE_WAIT_MS = 60_000;
const TINY_QUERY = '{ topProducts(first: 1) { upc } }';
const TINY_BODY = JSON.stringify({ query: TINY_QUERY });

// ---------------------------------------------------------------- arguments

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    fork: { type: 'string' },
    connections: { type: 'string', default: '50' },
    baseline: { type: 'string' },
    gateways: { type: 'string' },
    workloads: { type: 'string' },
    launch: { type: 'string', default: 'built' },
    'keep-temp': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'npm run bench:gateway -- [--seconds N (10)] [--rounds N (3)] [--fork N (FORK or 2)] [--connections N (50)]\n' +
      '  [--keep-temp] [--baseline <another checkout>]\n' +
      '  [--gateways ours,baseline,apollo,hive,hive-router-runtime (all)]\n' +
      '  [--workloads nested,tiny (both)] [--launch built|tsx (built)] [--profile]\n' +
      'See benchmarks/gateways/README.md.',
  );
  process.exit(0);
}
const SECONDS = positiveInt('--seconds', args.seconds ?? args.duration ?? '10');
const ROUNDS = positiveInt('--rounds', args.rounds ?? '3');
// The community benchmark runs with FORK=2: Apollo's index.ts forks FORK-1 = 1 worker, Hive's CLI forks 2.
const FORK = positiveInt('--fork', args.fork ?? process.env.FORK ?? '2');
/**
 * Clients keeping a request in flight each: 50, as the community benchmark's k6. With 1, no two
 * requests are in flight at once, so nothing is deduplicated: each answer is one execution.
 */
const CONNECTIONS = positiveInt('--connections', args.connections ?? '50');
/**
 * Another checkout of this project (an earlier commit, its dependencies installed): its gateway
 * runs as `baseline`, started as `ours` is, in the same rounds. For telling a regression of
 * the request path from a change of the machine, which moves every gateway alike.
 */
const BASELINE = args.baseline === undefined ? undefined : path.resolve(args.baseline);
if (BASELINE !== undefined && !existsSync(path.join(BASELINE, 'gateway', 'src', 'index.ts'))) {
  console.error(
    `--baseline ${JSON.stringify(args.baseline)} is not a checkout of this project (no gateway/src/index.ts)`,
  );
  process.exit(2);
}
const GATEWAY_IDS = ['ours', 'baseline', 'apollo', 'hive', 'hive-router-runtime'];
/** Which gateways are measured (stock Apollo still answers the tiny query once, for its expected body). */
const MEASURED = args.gateways?.split(',').map((id) => id.trim());
/**
 * How this project's gateway runs: `built`, as `npm start` and the production image run it (plain
 * JavaScript: the esbuild bundle npm start makes, scripts/lib/serviceBundle.ts, with no node flags),
 * or `tsx`, its TypeScript sources under the loader (the records before 2026-12-06's last ones).
 */
const LAUNCH = args.launch;
if (LAUNCH !== 'built' && LAUNCH !== 'tsx') {
  console.error(`--launch must be built or tsx, not ${JSON.stringify(LAUNCH)}`);
  process.exit(2);
}
/** Which workloads are measured. */
const WORKLOADS = args.workloads?.split(',').map((id) => id.trim());
for (const id of WORKLOADS ?? []) {
  if (id !== 'nested' && id !== 'tiny') {
    console.error(`--workloads: "${id}" is not one of nested, tiny`);
    process.exit(2);
  }
}
for (const id of MEASURED ?? []) {
  if (!GATEWAY_IDS.includes(id) || (id === 'baseline' && BASELINE === undefined)) {
    console.error(
      `--gateways: "${id}" is not one of ${GATEWAY_IDS.join(', ')}${id === 'baseline' ? ' (baseline needs --baseline)' : ''}`,
    );
    process.exit(2);
  }
}
/** How many gateways each round starts and measures. */
const GATEWAY_COUNT = MEASURED?.length ?? (BASELINE === undefined ? 4 : 5);

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------- processes

interface Proc {
  name: string;
  child: ChildProcess;
  /** The process group: the child is its leader (spawned detached). */
  pgid: number;
  logPath: string;
  exited: boolean;
}

/** Every process group this run started and has not yet seen gone. */
const live = new Set<Proc>();

function startProcess(
  name: string,
  command: string,
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logPath: string; pipeStdout?: boolean },
): Proc {
  const fd = openSync(options.logPath, 'a');
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: options.env,
    detached: true, // its own process group, so that it and its workers can be stopped together
    stdio: ['ignore', options.pipeStdout ? 'pipe' : fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const proc: Proc = { name, child, pgid: child.pid, logPath: options.logPath, exited: false };
  child.once('exit', () => (proc.exited = true));
  live.add(proc);
  return proc;
}

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid = 4, pgrp = 5, utime = 14, stime = 15.
    return { pid, ppid: Number(fields[1]), pgrp: Number(fields[2]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** The process tree of a started process: its group plus every descendant (cluster workers, forks). */
function treeOf(proc: Proc, stats = allStats()): ProcStat[] {
  const inTree = new Set<number>();
  for (const s of stats) if (s.pgrp === proc.pgid || s.pid === proc.pgid) inTree.add(s.pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of stats) {
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid);
        grew = true;
      }
    }
  }
  return stats.filter((s) => inTree.has(s.pid));
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function killTree(proc: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pgid, signal);
  } catch {
    // group already gone
  }
  for (const s of treeOf(proc)) {
    try {
      process.kill(s.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to the whole tree, SIGKILL to whatever is left after a grace period, then wait until it is gone. */
async function stopProcess(proc: Proc): Promise<void> {
  if (!live.has(proc)) return;
  killTree(proc, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline && treeOf(proc).length > 0) await delay(100);
  if (treeOf(proc).length > 0) {
    killTree(proc, 'SIGKILL');
    const hard = Date.now() + STOP_GRACE_MS;
    while (Date.now() < hard && treeOf(proc).length > 0) await delay(50);
  }
  const left = treeOf(proc);
  if (left.length > 0)
    console.error(`warning: ${proc.name}: processes ${left.map((s) => s.pid).join(', ')} survived SIGKILL`);
  live.delete(proc);
}

let cleaningUp: Promise<void> | null = null;
function stopAll(): Promise<void> {
  cleaningUp ??= Promise.all([...live].map((proc) => stopProcess(proc))).then(() => undefined);
  return cleaningUp;
}

// Last resort: whatever path the process takes out, no group it started survives it.
process.on('exit', () => {
  for (const proc of live) killTree(proc, 'SIGKILL');
});
/** The run's temp folder (supergraph, logs, DATA_DIR); removed when the run is interrupted. */
let tmpDir: string | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      for (const proc of live) killTree(proc, 'SIGKILL');
      process.exit(130);
    }
    interrupted = true;
    console.error(`\n${signal}: stopping every process this run started...`);
    void stopAll().finally(() => {
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

function logTail(proc: Proc, lines = 20): string {
  try {
    const text = readFileSync(proc.logPath, 'utf8').split('\n');
    return text.slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- install

function ensurePeersInstalled(): void {
  if (existsSync(path.join(PEERS, 'node_modules'))) return;
  const argv = ['ci', '--prefix', 'benchmarks/peers', '--no-audit', '--no-fund'];
  console.log(
    `peers not installed yet: running \`npm ${argv.join(' ')}\` (once; benchmarks/peers/node_modules is git-ignored)`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, argv, { cwd: ROOT, stdio: 'inherit', timeout: 10 * 60_000 });
  if (result.status !== 0) {
    rmSync(path.join(PEERS, 'node_modules'), { recursive: true, force: true });
    throw new Error(
      `npm ci in benchmarks/peers failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`,
    );
  }
}

function versionOf(dir: string, pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------- gateways

interface GatewaySpec {
  id: string;
  label: string;
  /** Path the GraphQL endpoint answers on. */
  path: string;
  /** How it is started, for the report. */
  describe: string;
  start(port: number, logPath: string): Proc;
}

/** A small environment for the peers, so nothing from the caller's shell (PORT, HOST, CONFIG_PATH, JIT...) changes their configuration. */
function peerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'])
    if (process.env[key] !== undefined) base[key] = process.env[key];
  return { ...base, ...extra };
}

/** The gateway's bundle in each checkout, made (or found fresh) before the first round. */
const bundles = new Map<string, string>();
const bundleOf = (root: string): string => {
  const file = bundles.get(root);
  if (file === undefined) throw new Error(`no bundle was made for ${root}`);
  return file;
};

/** Makes the gateway's bundle of each checkout whose gateway runs built, as npm start would. */
async function bundleGateways(roots: string[]): Promise<void> {
  if (LAUNCH !== 'built') return;
  for (const root of roots) {
    const gateway = path.join(root, 'gateway');
    const built = await bundleServices(
      [{ name: 'gateway', entry: path.join(gateway, 'src', 'index.ts'), packageDir: gateway }],
      root,
    );
    bundles.set(root, built.gateway!.file);
  }
}

/** The short commit of a checkout, and whether its tree has changes. */
function commitOf(root: string): string {
  const git = (...argv: string[]) => execFileSync('git', ['-C', root, ...argv], { encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' (modified)' : ''}`;
  } catch {
    return path.basename(root);
  }
}

function gatewaySpecs(supergraphPath: string, tmp: string): GatewaySpec[] {
  const oursEnvOverrides = (port: number): Record<string, string> => ({
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    SUPERGRAPH_PATH: supergraphPath,
    SUPERGRAPH_POLL_MS: '0',
    GATEWAY_PORT: String(port),
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'info',
    DATA_DIR: tmp,
    // Its cost limit (10,000 by default) refuses the benchmark query (estimated 341,025);
    // raised like the rate limit, so the check still runs on every request.
    MAX_QUERY_COST: process.env.MAX_QUERY_COST ?? '1000000',
    // As many serving processes as the community benchmark gives Hive Gateway (FORK).
    WORKERS: process.env.WORKERS ?? String(FORK),
  });
  /** This project's gateway, from the checkout at `root`. */
  const ours = (id: string, label: string, root: string): GatewaySpec => ({
    id,
    label,
    path: '/graphql',
    describe:
      `${LAUNCH === 'built' ? 'node gateway/dist/start.js (the bundle npm start runs)' : 'node --import tsx gateway/src/index.ts'} ` +
      `(in ${path.relative(ROOT, root) || '.'}) with the caller's environment plus ` +
      Object.entries(oursEnvOverrides(0))
        .map(
          ([k, v]) =>
            `${k}=${k === 'GATEWAY_PORT' ? '<port>' : k === 'SUPERGRAPH_PATH' ? '<supergraph>' : k === 'DATA_DIR' ? '<tmp>' : v}`,
        )
        .join(' '),
    start: (port, logPath) =>
      startProcess(
        id,
        process.execPath,
        LAUNCH === 'built' ? [bundleOf(root)] : ['--import', 'tsx', 'gateway/src/index.ts'],
        {
          cwd: root,
          env: { ...process.env, ...oursEnvOverrides(port), ...(id === 'ours' ? profilerEnv() : {}) },
          logPath,
        },
      ),
  });
  const hive = (id: string, label: string, folder: string, jit: boolean): GatewaySpec => ({
    id,
    label,
    path: '/graphql',
    describe: `NODE_ENV=production FORK=${FORK} hive-gateway supergraph <supergraph> --port <port> --host 127.0.0.1${jit ? ' --jit' : ''} (cwd benchmarks/peers/${folder}, gateway.config.ts)`,
    start: (port, logPath) =>
      startProcess(
        id,
        process.execPath,
        [
          HIVE_BIN,
          'supergraph',
          supergraphPath,
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          ...(jit ? ['--jit'] : []),
        ],
        { cwd: path.join(PEERS, folder), env: peerEnv({ NODE_ENV: 'production', FORK: String(FORK) }), logPath },
      ),
  });
  return [
    ours('ours', 'this project', ROOT),
    ...(BASELINE === undefined ? [] : [ours('baseline', `this project at ${commitOf(BASELINE)}`, BASELINE)]),
    {
      id: 'apollo',
      label: 'Apollo Gateway (stock)',
      path: '/',
      describe: `NODE_ENV=production FORK=${FORK} node --import tsx benchmarks/gateways/apolloStock.ts (primary + ${Math.max(0, FORK - 1)} worker(s))`,
      start: (port, logPath) =>
        startProcess('apollo', process.execPath, ['--import', 'tsx', 'benchmarks/gateways/apolloStock.ts'], {
          cwd: ROOT,
          env: peerEnv({
            NODE_ENV: 'production',
            FORK: String(FORK),
            PORT: String(port),
            HOST: '127.0.0.1',
            SUPERGRAPH_PATH: supergraphPath,
          }),
          logPath,
        }),
    },
    hive('hive', 'Hive Gateway (--jit)', 'hive-gateway', true),
    hive('hive-router-runtime', 'Hive Gateway + router runtime', 'hive-gateway-router-runtime', false),
  ];
}

// ---------------------------------------------------------------- workloads

interface Workload {
  id: 'nested' | 'tiny';
  body: string;
  /** The exact payload; a body equal to it, or to it plus one "\n" (Apollo Server), is correct. */
  expected: string;
}

function isCorrect(body: string, expected: string): boolean {
  return body === expected || (body.length === expected.length + 1 && body.endsWith('\n') && body.startsWith(expected));
}

function describeMismatch(status: number, body: string, expected: string): string {
  const actual = Buffer.from(body.endsWith('\n') ? body.slice(0, -1) : body);
  const want = Buffer.from(expected);
  const at = firstDifference(actual, want);
  const around = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 60), at + 60).toString('utf8'));
  return `HTTP ${status}, ${body.length} bytes; first difference at byte ${at}\n    got:      ${around(actual)}\n    expected: ${around(want)}`;
}

async function post(url: string, body: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.text() };
}

/** Waits until the gateway answers HTTP 200 to the tiny query (or fails: timeout, exit); returns the ms it took. */
async function waitAnswering(proc: Proc, url: string): Promise<number> {
  const started = Date.now();
  const deadline = started + START_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`exited while starting (${last}); log tail:\n${logTail(proc)}`);
    try {
      const res = await post(url, TINY_BODY, 2_000);
      if (res.status === 200) return Date.now() - started;
      last = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await delay(250);
  }
  throw new Error(`did not answer within ${START_TIMEOUT_MS / 1000} s (${last}); log tail:\n${logTail(proc)}`);
}

/** One request per workload, each answer checked byte for byte; throws on the first wrong one. */
async function checkAnswers(url: string, workloads: Workload[]): Promise<void> {
  for (const workload of workloads) {
    const res = await post(url, workload.body, 30_000);
    if (res.status !== 200 || !isCorrect(res.body, workload.expected)) {
      throw new Error(
        `wrong answer to the ${workload.id} query: ${describeMismatch(res.status, res.body, workload.expected)}`,
      );
    }
  }
}

// ---------------------------------------------------------------- measurement

interface SubgraphCounter {
  name: SubgraphName;
  base: string;
}

async function subgraphCalls(counters: SubgraphCounter[], method: 'GET' | 'DELETE'): Promise<Record<string, number>> {
  const entries = await Promise.all(
    counters.map(async ({ name, base }) => {
      const res = await fetch(`${base}/calls`, { method, signal: AbortSignal.timeout(5_000) });
      return [name, ((await res.json()) as { calls: number }).calls] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

/**
 * Waits until the subgraphs have seen no new call for 500 ms (at most 15 s): the
 * gateway has finished the requests the load generator left in flight when it
 * stopped. Returns the counts then.
 */
async function settledCalls(counters: SubgraphCounter[]): Promise<Record<string, number>> {
  let previous = await subgraphCalls(counters, 'GET');
  let stableSince = Date.now();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await delay(100);
    const now = await subgraphCalls(counters, 'GET');
    if (total(now) !== total(previous)) {
      previous = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 500) {
      break;
    }
  }
  return previous;
}

interface Measurement {
  round: number;
  /** Position of this gateway in the round's order (0 = first). */
  slot: number;
  gateway: string;
  workload: string;
  loadavg: number[];
  seconds: number;
  rps: number;
  correct: number;
  completed: number;
  /** Requests written, including those still in flight when the run stopped. */
  sent: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  errorsBreakdown: { non2xx: number; mismatched2xx: number; timeouts: number; connectionErrors: number };
  statusCodes: Record<string, number>;
  cpuPercent: number;
  peakRssMb: number;
  processes: number;
  subgraphCalls: Record<string, number>;
  subgraphCallsPerRequest: number;
  firstMismatch?: string;
}

interface AutocannonResult {
  duration: number;
  requests: { sent: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p90: number; p99: number; max: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
const CLK_TCK = clockTicks();

/** CPU ticks and peak RSS of a process tree, sampled every 250 ms between start() and stop(). */
class TreeSampler {
  private readonly baseline = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private peakKb = 0;
  private maxProcesses = 0;
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(private readonly proc: Proc) {}

  start(): void {
    for (const s of treeOf(this.proc)) {
      this.baseline.set(s.pid, s.ticks);
      this.last.set(s.pid, s.ticks);
    }
    this.startedAt = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  private sample(): void {
    const tree = treeOf(this.proc);
    let kb = 0;
    for (const s of tree) {
      // A process that appears mid-run (a new worker) counts from zero.
      if (!this.baseline.has(s.pid)) this.baseline.set(s.pid, 0);
      this.last.set(s.pid, s.ticks);
      kb += rssKb(s.pid);
    }
    this.peakKb = Math.max(this.peakKb, kb);
    this.maxProcesses = Math.max(this.maxProcesses, tree.length);
  }

  stop(): { cpuPercent: number; peakRssMb: number; processes: number } {
    this.sample();
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    let ticks = 0;
    for (const [pid, value] of this.last) ticks += value - (this.baseline.get(pid) ?? 0);
    return {
      cpuPercent: (ticks / CLK_TCK / seconds) * 100,
      peakRssMb: this.peakKb / 1024,
      processes: this.maxProcesses,
    };
  }
}

/** `--profile`: this project's gateway preloads the profiler (every worker too), each writing its own files. */
function profilerEnv(): NodeJS.ProcessEnv {
  if (!args.profile) return {};
  mkdirSync(PROFILE_DIR, { recursive: true });
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${PROFILER}`.trim(),
    CPU_PROFILE_DIR: PROFILE_DIR,
    CPU_PROFILE_PER_PROCESS: '1',
    // Each sample interrupts the process: 200 µs distorts a busy worker less than the default 100.
    CPU_PROFILE_INTERVAL_US: '200',
  };
}

/** The processes that serve: a clustered gateway's workers, else the process itself. */
function servingPids(proc: Proc): number[] {
  const workers = allStats().filter((s) => s.ppid === proc.pgid);
  return workers.length > 0 ? workers.map((s) => s.pid) : [proc.pgid];
}

/**
 * Stops the profiles `pids` are taking (a second SIGUSR2), names each after the run, and prints
 * the busiest one's top frames (the others are kept beside it).
 */
async function collectProfiles(pids: number[], label: string): Promise<void> {
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + PROFILE_WAIT_MS;
  const doneFile = (pid: number) =>
    readdirSync(PROFILE_DIR).find((f) => f.startsWith(`${pid}-`) && f.endsWith('.done'));
  while (pids.some((pid) => !doneFile(pid)) && Date.now() < deadline) await delay(200);
  let busiest: { file: string; profile: CpuProfile; busy: number } | undefined;
  for (const pid of pids) {
    const done = doneFile(pid);
    if (!done) continue;
    const written = path.join(PROFILE_DIR, done.replace(/\.done$/, '.cpuprofile'));
    const file = path.join(PROFILE_DIR, `${label}-${pid}.cpuprofile`);
    renameSync(written, file);
    rmSync(path.join(PROFILE_DIR, done));
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    const busy = profile.timeDeltas.reduce((sum, dt, i) => sum + (idle.has(profile.samples[i]!) ? 0 : dt), 0);
    if (!busiest || busy > busiest.busy) busiest = { file, profile, busy };
  }
  if (!busiest) return console.log(`  ${label}: no profile was written`);
  console.log(`  ${label}: ${path.relative(ROOT, busiest.file)} (the busiest of ${pids.length}):`);
  console.log(
    summarizeProfile(busiest.profile, { top: 15, requests: 0 })
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n'),
  );
}

async function measure(
  autocannon: Autocannon,
  proc: Proc,
  url: string,
  workload: Workload,
  counters: SubgraphCounter[],
  meta: { round: number; slot: number; gateway: string },
): Promise<Measurement> {
  const target = new URL(url);
  const fire = async (seconds: number, onResponse?: (status: number, body: string) => void) =>
    autocannon({
      url: target.origin,
      connections: CONNECTIONS,
      duration: seconds,
      timeout: REQUEST_TIMEOUT_SECONDS,
      requests: [
        {
          method: 'POST',
          path: target.pathname,
          headers: { 'content-type': 'application/json' },
          body: workload.body,
          ...(onResponse ? { onResponse } : {}),
        },
      ],
    });

  await fire(WARMUP_SECONDS);
  await settledCalls(counters);
  await subgraphCalls(counters, 'DELETE');
  const loadavg = os.loadavg().map((n) => Math.round(n * 100) / 100);

  let correct = 0;
  let completed = 0;
  let mismatched2xx = 0;
  let firstMismatch: string | undefined;
  const profiled = args.profile && meta.gateway === 'ours' ? servingPids(proc) : [];
  for (const pid of profiled) process.kill(pid, 'SIGUSR2');
  const sampler = new TreeSampler(proc);
  sampler.start();
  const result = await fire(SECONDS, (status, body) => {
    completed += 1;
    if (status >= 200 && status < 300 && isCorrect(body, workload.expected)) {
      correct += 1;
      return;
    }
    if (status >= 200 && status < 300) mismatched2xx += 1;
    firstMismatch ??= describeMismatch(status, body, workload.expected);
  });
  const tree = sampler.stop();
  if (profiled.length > 0) await collectProfiles(profiled, `${workload.id}-round${meta.round}`);
  // Requests still in flight at the stop reach the subgraphs too: count them all, divide by all sent.
  const calls = await settledCalls(counters);
  const timeouts = result.timeouts;
  const connectionErrors = result.errors - result.timeouts;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    ...meta,
    workload: workload.id,
    loadavg,
    seconds: result.duration,
    rps: correct / result.duration,
    correct,
    completed,
    sent: result.requests.sent,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.non2xx + mismatched2xx + result.errors,
    errorsBreakdown: { non2xx: result.non2xx, mismatched2xx, timeouts, connectionErrors },
    statusCodes,
    ...tree,
    subgraphCalls: calls,
    subgraphCallsPerRequest: result.requests.sent > 0 ? total(calls) / result.requests.sent : 0,
    ...(firstMismatch ? { firstMismatch } : {}),
  };
}

// ---------------------------------------------------------------- summary

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface GatewaySummary {
  gateway: string;
  label: string;
  rounds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorsAllRounds: number;
  cpuPercent: number;
  peakRssMb: number;
  subgraphCallsPerRequest: number;
  /** Median over rounds of (this gateway's RPS / the peer's RPS), both taken in the same round. */
  rpsRatioTo: Record<string, number>;
}

function summarize(specs: GatewaySpec[], measurements: Measurement[], workload: string): GatewaySummary[] {
  const of = (gateway: string) => measurements.filter((m) => m.workload === workload && m.gateway === gateway);
  return specs.map((spec) => {
    const mine = of(spec.id);
    const ratios: Record<string, number> = {};
    for (const peer of specs) {
      if (peer.id === spec.id) continue;
      const perRound: number[] = [];
      for (const m of mine) {
        const other = of(peer.id).find((p) => p.round === m.round);
        if (other && other.rps > 0) perRound.push(m.rps / other.rps);
      }
      ratios[peer.id] = median(perRound);
    }
    return {
      gateway: spec.id,
      label: spec.label,
      rounds: mine.length,
      rps: median(mine.map((m) => m.rps)),
      p50Ms: median(mine.map((m) => m.latencyMs.p50)),
      p99Ms: median(mine.map((m) => m.latencyMs.p99)),
      errors: median(mine.map((m) => m.errors)),
      errorsAllRounds: mine.reduce((sum, m) => sum + m.errors, 0),
      cpuPercent: median(mine.map((m) => m.cpuPercent)),
      peakRssMb: median(mine.map((m) => m.peakRssMb)),
      subgraphCallsPerRequest: median(mine.map((m) => m.subgraphCallsPerRequest)),
      rpsRatioTo: ratios,
    };
  });
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function printSummary(specs: GatewaySpec[], summary: GatewaySummary[], workload: Workload): void {
  console.log(
    `\n=== ${workload.id}: ${workload.id === 'nested' ? 'the benchmark query (87,599-byte answer)' : TINY_QUERY} — medians over rounds, ${CONNECTIONS} connections, ${SECONDS} s each`,
  );
  console.log(
    table([
      [
        'gateway',
        'rounds',
        'RPS',
        'p50 ms',
        'p99 ms',
        'errors',
        'errors (all rounds)',
        'CPU %',
        'peak RSS MB',
        'subgraph calls/req',
      ],
      ...summary.map((s) => [
        s.label,
        String(s.rounds),
        fmt(s.rps, 1),
        fmt(s.p50Ms),
        fmt(s.p99Ms),
        fmt(s.errors),
        String(s.errorsAllRounds),
        fmt(s.cpuPercent),
        fmt(s.peakRssMb),
        fmt(s.subgraphCallsPerRequest, 2),
      ]),
    ]),
  );
  console.log(`\n${workload.id}: RPS of the row gateway / RPS of the column gateway (median of per-round ratios)`);
  console.log(
    table([
      ['', ...specs.map((s) => s.label)],
      ...summary.map((s) => [
        s.label,
        ...specs.map((peer) => (peer.id === s.gateway ? '1' : fmt(s.rpsRatioTo[peer.id] ?? NaN, 2))),
      ]),
    ]),
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  if (!EXPECTED.every((byte) => byte < 0x80))
    throw new Error('expected.json is not ASCII: string comparison would not be byte comparison');
  ensurePeersInstalled();
  await bundleGateways([ROOT, ...(BASELINE === undefined ? [] : [BASELINE])]);
  const autocannon = createRequire(path.join(PEERS, 'package.json'))('autocannon') as Autocannon;

  const budgetMs =
    5 * 60_000 +
    ROUNDS * GATEWAY_COUNT * (START_TIMEOUT_MS + 2 * STOP_GRACE_MS + 2 * (WARMUP_SECONDS + SECONDS + 20) * 1000);
  const watchdog = setTimeout(() => {
    console.error(`\ntime budget of ${Math.round(budgetMs / 60_000)} min exceeded: stopping everything`);
    void stopAll().finally(() => process.exit(3));
  }, budgetMs);

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gateway-bench-'));
  tmpDir = tmp;
  const startedAt = new Date();
  console.log(
    `gateway benchmark: ${ROUNDS} round(s) x ${WORKLOADS?.length ?? 2} workload(s) x ${GATEWAY_COUNT} gateways, ${SECONDS} s each after ${WARMUP_SECONDS} s warm-up, ` +
      `${CONNECTIONS} connections, FORK=${FORK}; node ${process.version}, ${os.availableParallelism()} cores; logs in ${tmp}`,
  );

  const measurements: Measurement[] = [];
  const failures: string[] = [];
  const readyMs: Record<string, number[]> = {};
  let specs: GatewaySpec[] = [];
  let workloads: Workload[] = [];
  let subgraphs: Proc | undefined;
  try {
    // The subgraphs, in their own process.
    subgraphs = startProcess(
      'subgraphs',
      process.execPath,
      ['--import', 'tsx', 'benchmarks/federation/subgraphs/serve.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'production' },
        logPath: path.join(tmp, 'subgraphs.log'),
        pipeStdout: true,
      },
    );
    const urls = await readFirstLine(subgraphs, 60_000).then(
      (line) => JSON.parse(line) as Record<SubgraphName, string>,
    );
    const supergraphPath = path.join(tmp, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraphWithUrls(urls));
    const counters = (Object.entries(urls) as [SubgraphName, string][]).map(([name, url]) => ({
      name,
      base: new URL(url).origin,
    }));
    console.log(
      `subgraphs: ${Object.entries(urls)
        .map(([n, u]) => `${n}=${u}`)
        .join(' ')}`,
    );

    const allSpecs = gatewaySpecs(supergraphPath, tmp);
    const spec = (id: string) => allSpecs.find((s) => s.id === id)!;
    specs = allSpecs.filter((s) => MEASURED === undefined || MEASURED.includes(s.id));

    // The tiny workload's expected body: the first stock Apollo answer, without Apollo Server's "\n".
    const probePort = await freePort();
    const probe = spec('apollo').start(probePort, path.join(tmp, 'apollo-probe.log'));
    const probeUrl = `http://127.0.0.1:${probePort}${spec('apollo').path}`;
    let tinyExpected: string;
    try {
      const nested: Workload = { id: 'nested', body: REQUEST_BODY, expected: EXPECTED.toString('utf8') };
      await waitAnswering(probe, probeUrl);
      await checkAnswers(probeUrl, [nested]);
      const tiny = await post(probeUrl, TINY_BODY);
      if (tiny.status !== 200)
        throw new Error(`stock Apollo answered the tiny query with HTTP ${tiny.status}: ${tiny.body}`);
      tinyExpected = tiny.body.endsWith('\n') ? tiny.body.slice(0, -1) : tiny.body;
      const parsed = JSON.parse(tinyExpected) as { data?: { topProducts?: { upc: string }[] }; errors?: unknown };
      if (parsed.errors || parsed.data?.topProducts?.length !== 1)
        throw new Error(`unexpected tiny answer from stock Apollo: ${tinyExpected}`);
      const both: Workload[] = [nested, { id: 'tiny', body: TINY_BODY, expected: tinyExpected }];
      workloads = both.filter((w) => WORKLOADS === undefined || WORKLOADS.includes(w.id));
      console.log(`tiny workload: expected body (from stock Apollo, trailing "\\n" removed) = ${tinyExpected}`);
    } finally {
      await stopProcess(probe);
    }

    for (let round = 0; round < ROUNDS; round++) {
      const order = specs.map((_, i) => specs[(i + round) % specs.length]!);
      console.log(`\n--- round ${round + 1}/${ROUNDS}: ${order.map((s) => s.label).join(' -> ')}`);
      for (const [slot, gw] of order.entries()) {
        if (interrupted) throw new Error('interrupted');
        const port = await freePort();
        const url = `http://127.0.0.1:${port}${gw.path}`;
        const proc = gw.start(port, path.join(tmp, `${gw.id}-round${round + 1}.log`));
        try {
          let ready: number;
          try {
            ready = await waitAnswering(proc, url);
            await checkAnswers(url, workloads);
          } catch (error) {
            const message = `${gw.label}, round ${round + 1}: ${error instanceof Error ? error.message : String(error)}`;
            failures.push(message);
            console.error(`  ${message}`);
            continue;
          }
          (readyMs[gw.id] ??= []).push(ready);
          for (const workload of workloads) {
            const m = await measure(autocannon, proc, url, workload, counters, {
              round: round + 1,
              slot,
              gateway: gw.id,
            });
            measurements.push(m);
            console.log(
              `  ${gw.label.padEnd(30)} ${workload.id.padEnd(6)} loadavg ${m.loadavg.map((n) => n.toFixed(2)).join(' ')} | ` +
                `${fmt(m.rps, 1)} rps, p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms, errors ${m.errors}, ` +
                `CPU ${fmt(m.cpuPercent)}% (${m.processes} proc), RSS ${fmt(m.peakRssMb)} MB, ${fmt(m.subgraphCallsPerRequest, 2)} subgraph calls/req`,
            );
            if (
              m.firstMismatch &&
              !measurements.some(
                (o) => o !== m && o.gateway === m.gateway && o.workload === m.workload && o.firstMismatch,
              )
            ) {
              console.log(`    first wrong response from ${gw.label} (${workload.id}): ${m.firstMismatch}`);
            }
          }
        } finally {
          await stopProcess(proc);
        }
      }
    }
  } finally {
    if (subgraphs) await stopProcess(subgraphs);
    await stopAll();
    clearTimeout(watchdog);
  }

  // ------------------------------------------------------------ report
  const summaries: Record<string, GatewaySummary[]> = {};
  for (const workload of workloads) {
    summaries[workload.id] = summarize(specs, measurements, workload.id);
    printSummary(specs, summaries[workload.id]!, workload);
  }
  const erroring = Object.values(summaries)
    .flat()
    .filter((s) => s.errorsAllRounds > 0);
  for (const s of erroring) failures.push(`${s.label}: ${s.errorsAllRounds} wrong or failed responses`);

  const report = {
    benchmark: 'gateway',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      fork: FORK,
      requestTimeoutSeconds: REQUEST_TIMEOUT_SECONDS,
    },
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model,
      totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    },
    commit: gitCommit(),
    versions: {
      '@apollo/gateway': versionOf(ROOT, '@apollo/gateway'),
      '@apollo/server': versionOf(ROOT, '@apollo/server'),
      '@graphql-hive/gateway': versionOf(PEERS, '@graphql-hive/gateway'),
      '@graphql-hive/router-runtime': versionOf(PEERS, '@graphql-hive/router-runtime'),
      autocannon: versionOf(PEERS, 'autocannon'),
      graphql: versionOf(ROOT, 'graphql'),
    },
    gateways: specs.map((s) => ({
      id: s.id,
      label: s.label,
      path: s.path,
      started: s.describe,
      readyMs: readyMs[s.id] ?? [],
    })),
    workloads: workloads.map((w) => ({
      id: w.id,
      requestBody: w.body,
      expectedBytes: Buffer.byteLength(w.expected),
      accepted: 'expected, or expected + "\\n"',
    })),
    summary: summaries,
    measurements,
    failures,
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `gateway-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  copyFileSync(file, path.join(RESULTS, 'latest-gateway.json'));
  console.log(`\nresults: ${path.relative(ROOT, file)} (copied to benchmarks/results/latest-gateway.json)`);

  if (failures.length > 0) {
    console.error(`\nFAILED:\n- ${failures.join('\n- ')}\nlogs kept in ${tmp}`);
    return 1;
  }
  if (args['keep-temp']) console.log(`logs kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  return 0;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function readFirstLine(proc: Proc, timeoutMs: number): Promise<string> {
  const stdout = proc.child.stdout;
  if (!stdout) throw new Error(`${proc.name}: no stdout`);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => done(new Error(`${proc.name} printed nothing within ${timeoutMs / 1000} s; log tail:\n${logTail(proc)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline !== -1) done(null, buffered.slice(0, newline));
    };
    const onExit = () => done(new Error(`${proc.name} exited before printing its URLs; log tail:\n${logTail(proc)}`));
    function done(error: Error | null, line?: string): void {
      clearTimeout(timer);
      stdout!.off('data', onData);
      proc.child.off('exit', onExit);
      // Keep draining, so the process never blocks on a full pipe.
      stdout!.resume();
      if (error) reject(error);
      else resolve(line!);
    }
    stdout.on('data', onData);
    proc.child.once('exit', onExit);
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    await stopAll();
    process.exit(1);
  },
);
