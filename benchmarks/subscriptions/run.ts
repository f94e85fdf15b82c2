/**
 * `npm run bench:subscriptions [-- --subscribers 1000 --seconds 20 --rate 20 --transports sse,ws --clients 2]`
 *
 * Subscriptions at scale on one gateway process (docs/subscriptions.md): N subscribers of
 * `carChanged` with fields of three subgraphs (car, cost-center, user), over graphql-sse and
 * over graphql-ws, held by `--clients` client processes (subscribers.ts), while `--rate`
 * changes a second are committed through the gateway (updateCar, round robin over the seeded
 * cars). For each transport it prints and records:
 *  - commit → delivery at the subscriber, p50/p99/max: the time an event reaches the client
 *    minus the car's `updatedAt`, written by the transaction that commits the change;
 *  - events delivered against expected (subscribers × changes committed);
 *  - the gateway's RSS per idle subscriber: (RSS with N idle − RSS with none) / N, from /proc;
 *  - the gateway's CPU during the changes (/proc/<pid>/stat), in % of one core;
 *  - the upstream streams the gateway holds (/ready), which sharing keeps at one here: every
 *    subscriber runs the same subscription as the same user.
 * Hive Gateway is not run: see HIVE_CANNOT below (printed and recorded).
 * Writes benchmarks/results/latest-subscriptions.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BenchGraph, SEED_PASSWORD } from '../graph/graph';
import { summarizeProfile, type CpuProfile } from '../graph/profileSummary';
import { benchmarkOptions } from '../lib/options';
import { benchPostgresAdminUrl } from '../lib/postgres';
import { progressLog } from '../lib/runLog';
import { loadAverage, quantiles, sleep } from '../lib/stats';
import type { Answer, Order, Transport } from './subscribers';
import { UpstreamProbe } from './upstreamProbe';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const SUBSCRIBERS_ENTRY = path.resolve(__dirname, 'subscribers.ts');
const SUBSCRIPTION = `subscription BenchCars { carChanged { kind cursor car { id model updatedAt costCenter { code manager { username } } } } }`;
const UPDATE = `mutation BenchUpdate($id: ID!, $model: String!) { updateCar(id: $id, input: { model: $model }) { id } }`;
/** How long the gateway is left alone before its RSS is read (connections settle, buffers are freed). */
const SETTLE_MS = 5_000;
/** How long after the last change the subscribers keep counting (events on their way). */
const DRAIN_MS = 5_000;
const CLOCK_TICKS_PER_SECOND = 100;

/** Why Hive Gateway does not run next to ours here (printed and recorded). */
const HIVE_CANNOT =
  'Hive Gateway cannot serve these subgraphs: every request to them, the subscription streams included, must carry ' +
  '`x-gateway-signature`, a JWS (HS256, GATEWAY_SIGNING_SECRET) binding the caller (user id, scopes, token id) to the ' +
  'method, path, body digest, audience (the one subgraph), a single-use nonce, the request id and deadline ' +
  '(docs/security.md). Hive Gateway sends none and knows no caller identity of ours, so each subgraph answers 401 ' +
  'UNAUTHENTICATED. Serving them would take a Hive plugin that authenticates our tokens and signs each subgraph ' +
  'fetch as our gateway does (not written for this run).';

interface TransportResult {
  transport: Transport;
  subscribers: number;
  opened: number;
  failedToOpen: number;
  rssIdleBaselineKiB: number;
  rssIdleKiB: number;
  rssPerSubscriberKiB: number;
  upstreams: number;
  changes: number;
  changeFailures: number;
  expected: number;
  delivered: number;
  errors: number;
  firstError?: string;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Commit → delivery by the car subgraph itself (one signed subscriber straight at it): the gateway's share is the rest. */
  upstreamLatencyMs: { p50: number; p99: number };
  mutationMs: { p50: number; p99: number };
  gatewayCpuPercent: number;
  carCpuPercent: number;
  /** The client processes' CPU (sum, % of one core) and the worst p99 delay of their event loops. */
  clientsCpuPercent: number;
  clientLoopDelayP99Ms: number;
  /** The gateway's calls to subgraphs while measuring (the events' entity fetches, the mutations): their mean duration. */
  gatewayFetchMeanMs: number;
  gatewayLoopLagP99Ms: number;
  loadAverage: number[];
}

const rssKiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

function cpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: count from the last ')'; utime and stime are fields 14 and 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The gateway's entity fetches (sum of seconds and count, all subgraphs) and its event loop's p99 lag, from /metrics. */
async function gatewayMetrics(
  base: string,
  token: string,
): Promise<{ fetchSeconds: number; fetches: number; loopLagP99Ms: number }> {
  const text = await (await fetch(new URL('/metrics', base), { headers: { authorization: `Bearer ${token}` } })).text();
  let fetchSeconds = 0;
  let fetches = 0;
  let loopLagP99Ms = NaN;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('gateway_subgraph_fetch_duration_seconds_sum')) fetchSeconds += value;
    else if (line.startsWith('gateway_subgraph_fetch_duration_seconds_count')) fetches += value;
    else if (line.startsWith('nodejs_eventloop_lag_p99_seconds')) loopLagP99Ms = value * 1000;
  }
  return { fetchSeconds, fetches, loopLagP99Ms };
}

/** A client process holding subscribers (subscribers.ts), ordered over IPC. */
class Client {
  private readonly child: ChildProcess;
  private waiting?: (answer: Answer) => void;

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', SUBSCRIBERS_ENTRY], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (answer: Answer) => this.waiting?.(answer));
  }

  ask(order: Order): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.child.send(order);
    });
  }

  stop(): void {
    this.child.kill();
  }
}

async function graphql<Data>(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Data; errors?: { message: string }[] };
  if (!body.data) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function main(): Promise<void> {
  const options = benchmarkOptions({
    subscribers: { type: 'number', default: 1000, integer: true, min: 1, max: 20_000 },
    seconds: { type: 'number', default: 20, min: 1, max: 600 },
    rate: { type: 'number', default: 20, min: 0.1, max: 500 },
    clients: { type: 'number', default: 2, integer: true, min: 1, max: 8 },
    transports: { type: 'string', default: 'sse,ws' },
    // A CPU profile of the gateway while the changes are delivered (benchmarks/graph/cpuProfiler.cjs), summarized.
    profile: { type: 'boolean' },
  });
  const profileDir = options.profile ? await mkdtemp(path.join(os.tmpdir(), 'bench-subscriptions-profile-')) : null;
  const transports = options.transports.split(',').map((each) => {
    if (each !== 'sse' && each !== 'ws') throw new Error('--transports is a comma-separated list of sse and ws');
    return each;
  });
  const log = progressLog();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(
    `bench:subscriptions at ${commit} on ${machine}; ${options.subscribers} subscribers, ${options.rate} changes/s for ${options.seconds} s; load average ${loadAverage().join(' ')}`,
  );
  const limit = String(options.subscribers + 100);
  const graph = new BenchGraph({
    postgresAdminUrl: benchPostgresAdminUrl(),
    log,
    gatewayEnv: {
      SUBSCRIPTIONS_PER_CALLER: limit,
      SUBSCRIPTIONS_PER_PROCESS: limit,
      WORKERS: '1',
      ...(profileDir
        ? {
            NODE_OPTIONS: `--require ${path.resolve(__dirname, '..', 'graph', 'cpuProfiler.cjs')}`,
            CPU_PROFILE_DIR: profileDir,
          }
        : {}),
    },
    onUnexpectedExit: (service, how) => log(`${service} exited (${how})`),
  });
  const clients = Array.from({ length: options.clients }, () => new Client());
  const stopAll = async () => {
    for (const client of clients) client.stop();
    await graph.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  try {
    await graph.start();
    const gateway = graph.url('gateway');
    const url = `${gateway}/graphql`;
    const pid = graph.pid('gateway');
    const carPid = graph.pid('car');
    if (pid === undefined || carPid === undefined) throw new Error('the gateway or the car subgraph has no process id');
    const probe = await UpstreamProbe.open(`${graph.url('car')}/graphql`, graph.secret);
    const { login } = await graphql<{ login: { token: string } }>(
      url,
      `mutation { login(username: "admin", password: "${SEED_PASSWORD}") { token } }`,
      {},
    );
    const { cars } = await graphql<{ cars: { edges: { node: { id: string } }[] } }>(
      url,
      '{ cars(first: 100) { edges { node { id } } } }',
      {},
      login.token,
    );
    const carIds = cars.edges.map((edge) => edge.node.id);
    if (carIds.length === 0) throw new Error('the seeded graph has no car');
    const subscriptions = async () => {
      const response = await fetch(`${gateway}/ready`, {
        headers: { authorization: `Bearer ${graph.managementToken}` },
      });
      const body = (await response.json()) as { subscriptions?: { live: number; upstreams?: number } };
      return body.subscriptions ?? { live: -1 };
    };
    const until = async (condition: () => Promise<boolean>, what: string, ms = 180_000) => {
      const deadline = Date.now() + ms;
      // A gateway busy closing thousands of sockets may refuse a connection for a moment: asked again.
      while (!(await condition().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
        await sleep(250);
      }
    };
    let sequence = 0;
    let profiles = 0;
    const results: TransportResult[] = [];
    /** Opens N idle subscribers over a transport; the gateway's RSS before and after (each read after a settle). */
    const openIdle = async (transport: Transport, measuringMemory: boolean) => {
      await until(async () => (await subscriptions()).live === 0, 'no live subscription left');
      await sleep(SETTLE_MS);
      const rssIdleBaselineKiB = rssKiB(pid);
      log(`${transport}: opening ${options.subscribers} subscribers (gateway RSS ${rssIdleBaselineKiB} KiB with none)`);
      const shares = clients.map(
        (_, index) =>
          Math.floor(options.subscribers / clients.length) + (index < options.subscribers % clients.length ? 1 : 0),
      );
      const openings = (await Promise.all(
        clients.map((client, index) =>
          client.ask({
            kind: 'open',
            transport,
            url,
            token: login.token,
            query: SUBSCRIPTION,
            count: shares[index]!,
          }),
        ),
      )) as Extract<Answer, { kind: 'opened' }>[];
      const opened = openings.reduce((sum, each) => sum + each.open, 0);
      const failedToOpen = openings.reduce((sum, each) => sum + each.failed, 0);
      if (failedToOpen > 0)
        log(`${transport}: ${failedToOpen} failed to open: ${openings.find((each) => each.firstError)?.firstError}`);
      await until(async () => (await subscriptions()).live >= opened, `${opened} live subscriptions`);
      await sleep(SETTLE_MS);
      const rssIdleKiB = rssKiB(pid);
      const { upstreams = -1 } = await subscriptions();
      const rssPerSubscriberKiB = (rssIdleKiB - rssIdleBaselineKiB) / Math.max(1, opened);
      log(
        measuringMemory
          ? `${transport}: ${opened} idle subscribers: gateway RSS ${rssIdleKiB} KiB, ${rssPerSubscriberKiB.toFixed(1)} KiB each; ${upstreams} upstream stream(s)`
          : `${transport}: ${opened} subscribers open again, for the changes; ${upstreams} upstream stream(s)`,
      );
      return { opened, failedToOpen, rssIdleBaselineKiB, rssIdleKiB, rssPerSubscriberKiB, upstreams };
    };
    const closeAll = () => Promise.all(clients.map((client) => client.ask({ kind: 'close' })));
    // Idle memory first, for every transport, before any event has grown the gateway's heap.
    const idleFigures = new Map<Transport, Awaited<ReturnType<typeof openIdle>>>();
    for (const transport of transports) {
      idleFigures.set(transport, await openIdle(transport, true));
      await closeAll();
    }
    for (const transport of transports) {
      const { opened, failedToOpen, upstreams } = await openIdle(transport, false);
      const { rssIdleBaselineKiB, rssIdleKiB, rssPerSubscriberKiB } = idleFigures.get(transport)!;

      await Promise.all(clients.map((client) => client.ask({ kind: 'measure' })));
      const metricsBefore = await gatewayMetrics(gateway, graph.managementToken);
      probe.measure();
      if (profileDir) process.kill(pid, 'SIGUSR2');
      const ticksBefore = cpuTicks(pid);
      const carTicksBefore = cpuTicks(carPid);
      const startedAt = Date.now();
      const mutationMs: number[] = [];
      let changes = 0;
      let changeFailures = 0;
      const pending = new Set<Promise<void>>();
      const total = Math.round(options.seconds * options.rate);
      for (let index = 0; index < total; index++) {
        // Paced against the start, not the previous change: a slow mutation does not slow the rate.
        const due = startedAt + (index * 1000) / options.rate;
        if (due > Date.now()) await sleep(due - Date.now());
        sequence += 1;
        const sent = performance.now();
        const change = graphql(
          url,
          UPDATE,
          { id: carIds[sequence % carIds.length], model: `bench ${sequence}` },
          login.token,
        ).then(
          () => {
            changes += 1;
            mutationMs.push(performance.now() - sent);
          },
          () => void (changeFailures += 1),
        );
        pending.add(change);
        void change.finally(() => pending.delete(change));
      }
      await Promise.all(pending);
      await sleep(DRAIN_MS);
      const seconds = (Date.now() - startedAt) / 1000;
      const gatewayCpuPercent = ((cpuTicks(pid) - ticksBefore) / CLOCK_TICKS_PER_SECOND / seconds) * 100;
      const carCpuPercent = ((cpuTicks(carPid) - carTicksBefore) / CLOCK_TICKS_PER_SECOND / seconds) * 100;
      probe.stop();
      const profile = profileDir ? await takeProfile(pid, profileDir, ++profiles) : null;
      const metricsAfter = await gatewayMetrics(gateway, graph.managementToken);
      const gatewayFetchMeanMs =
        ((metricsAfter.fetchSeconds - metricsBefore.fetchSeconds) * 1000) /
        Math.max(1, metricsAfter.fetches - metricsBefore.fetches);
      const upstream = quantiles(probe.latencies);
      const reports = (await Promise.all(clients.map((client) => client.ask({ kind: 'report' })))) as Extract<
        Answer,
        { kind: 'report' }
      >[];
      const histogram = reports[0]!.histogram.map((_, ms) =>
        reports.reduce((sum, each) => sum + each.histogram[ms]!, 0),
      );
      const delivered = reports.reduce((sum, each) => sum + each.delivered, 0);
      const errors = reports.reduce((sum, each) => sum + each.errors, 0);
      const firstError = reports.find((each) => each.firstError)?.firstError;
      const latency = histogramQuantiles(histogram);
      const mutations = quantiles(mutationMs);
      const result: TransportResult = {
        transport,
        subscribers: options.subscribers,
        opened,
        failedToOpen,
        rssIdleBaselineKiB,
        rssIdleKiB,
        rssPerSubscriberKiB,
        upstreams,
        changes,
        changeFailures,
        expected: changes * opened,
        delivered,
        errors,
        ...(firstError ? { firstError } : {}),
        latencyMs: latency,
        upstreamLatencyMs: { p50: upstream.p50, p99: upstream.p99 },
        mutationMs: { p50: mutations.p50, p99: mutations.p99 },
        gatewayCpuPercent,
        carCpuPercent,
        clientsCpuPercent: reports.reduce((sum, each) => sum + each.cpuPercent, 0),
        clientLoopDelayP99Ms: Math.max(...reports.map((each) => each.loopDelayP99Ms)),
        gatewayFetchMeanMs,
        gatewayLoopLagP99Ms: metricsAfter.loopLagP99Ms,
        loadAverage: loadAverage(),
      };
      results.push(result);
      log(
        `${transport}: commit → delivery p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms; ${delivered} of ${result.expected} events; at the car subgraph itself p50 ${upstream.p50} ms, p99 ${upstream.p99} ms; CPU gateway ${gatewayCpuPercent.toFixed(0)} %, car ${carCpuPercent.toFixed(0)} %, clients ${result.clientsCpuPercent.toFixed(0)} % (event loop p99 delay ${result.clientLoopDelayP99Ms.toFixed(0)} ms); gateway's subgraph calls ${gatewayFetchMeanMs.toFixed(0)} ms mean, its event loop p99 lag ${metricsAfter.loopLagP99Ms.toFixed(0)} ms; mutation p50 ${mutations.p50.toFixed(0)} ms; ${errors} errors${firstError ? ` (first: ${firstError})` : ''}`,
      );
      if (profile)
        log(
          `${transport}: gateway CPU profile while delivering:\n${summarizeProfile(profile, { top: 25, requests: 0 })}`,
        );
      await closeAll();
    }

    log('');
    log(
      `${options.subscribers} subscribers on one gateway process, ${options.rate} changes/s for ${options.seconds} s (targets: p99 < ${options.subscribers > 1000 ? '1000' : '250'} ms, < 30 KiB RSS per idle subscriber):`,
    );
    for (const each of results)
      log(
        `  ${each.transport.padEnd(3)}  p50 ${String(each.latencyMs.p50).padStart(5)} ms  p99 ${String(each.latencyMs.p99).padStart(5)} ms  max ${String(each.latencyMs.max).padStart(5)} ms  ${each.delivered}/${each.expected} events  RSS ${each.rssPerSubscriberKiB.toFixed(1)} KiB/subscriber  CPU ${each.gatewayCpuPercent.toFixed(0)} % (car ${each.carCpuPercent.toFixed(0)} %)  car subgraph itself p50/p99 ${each.upstreamLatencyMs.p50}/${each.upstreamLatencyMs.p99} ms  upstreams ${each.upstreams}  mutation p50 ${each.mutationMs.p50.toFixed(0)} ms`,
      );
    log(`  Hive Gateway: not run. ${HIVE_CANNOT}`);
    log(`  load average ${loadAverage().join(' ')}`);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      path.join(RESULTS_DIR, 'latest-subscriptions.json'),
      `${JSON.stringify({ commit, machine, at: new Date().toISOString(), options, hive: HIVE_CANNOT, results }, null, 2)}\n`,
    );
    probe.close();
  } finally {
    await stopAll();
  }
}

/** Stops the gateway's CPU profile (SIGUSR2 again) and reads it once written. */
async function takeProfile(pid: number, dir: string, count: number): Promise<CpuProfile> {
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  while (!existsSync(path.join(dir, `${count}.done`))) {
    if (Date.now() > deadline) throw new Error('the gateway wrote no CPU profile within 60 s');
    await sleep(200);
  }
  return JSON.parse(await readFile(path.join(dir, `${count}.cpuprofile`), 'utf8')) as CpuProfile;
}

/** Nearest-rank quantiles of a histogram of 1 ms buckets. */
function histogramQuantiles(histogram: number[]): TransportResult['latencyMs'] {
  const count = histogram.reduce((sum, value) => sum + value, 0);
  const at = (q: number) => {
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    for (let ms = 0; ms < histogram.length; ms++) {
      seen += histogram[ms]!;
      if (seen >= rank) return ms;
    }
    return NaN;
  };
  let max = NaN;
  for (let ms = histogram.length - 1; ms >= 0; ms--) {
    if (histogram[ms]! > 0) {
      max = ms;
      break;
    }
  }
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max };
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
