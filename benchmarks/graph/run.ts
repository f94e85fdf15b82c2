/**
 * `npm run bench:graph [-- --seconds 10 --rounds 3 --connections 50 --warmup 2 --postgres]`
 *
 * What the gateway costs: each operation measured through the gateway (with
 * a Bearer token) and straight against the subgraph that serves it (signed
 * the way the gateway signs it), at 1 connection (latency) and at 50
 * connections (throughput), runs interleaved in alternating order. Prints a
 * table per operation and gateway p50 / direct p50 at 1 connection; writes
 * benchmarks/results/graph-<date>.json and benchmarks/results/latest-graph.json.
 * See benchmarks/graph/README.md.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ANONYMOUS,
  type CallerIdentity,
  signRequest,
  TOKEN_STATUS_AUDIENCE,
  TOKEN_STATUS_PATH,
  type TokenStatus,
  subgraphNames,
} from '@car-check/service-kit';
import { seedCars } from '@car-check/subgraph-kit/demo';
import { BenchGraph, SEED_PASSWORD, type ServiceName } from './graph';
import { benchmarkOptions } from '../lib/options';
import { benchPostgresAdminUrl } from '../lib/postgres';
import { measureHopFloor, type HopFloor } from './hopFloor';
import { graphqlCheck, runLoad, type LoadResult, type OutgoingRequest } from './load';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
/** What the gateway's subgraph client sends to a subgraph besides the signature (gateway/src/subgraphClient/http.ts). */
const SUBGRAPH_ACCEPT = 'application/graphql-response+json, application/json';
/** The gateway's default per-subgraph deadline (SUBGRAPH_TIMEOUT_MS), signed into each call. */
const SUBGRAPH_TIMEOUT_MS = 5_000;
/** The one-subgraph query must not cost more than this through the gateway (gateway p50 / direct p50 at 1 connection; issue 24). */
const TARGET_RATIO = 1.3;
/** Seconds per hop-floor measurement (hopFloor.ts), at most. */
const HOP_FLOOR_SECONDS = 5;

type Target = 'gateway' | 'direct';
type OperationKey = 'one-subgraph' | 'three-subgraph' | 'mutation';

interface Operation {
  key: OperationKey;
  title: string;
  query: string;
  /** The subgraph that serves it alone, or null when it needs several (no direct measurement). */
  direct: ServiceName | null;
  /** A fresh plan per run: what each request sends, and what its answer must look like. */
  plan(target: Target): {
    variables(connection: number, seq: number): Record<string, unknown>;
    shape(data: unknown, variables: Record<string, unknown>, connection: number): string | null;
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

const ALL_OPERATIONS: Operation[] = [
  {
    key: 'one-subgraph',
    title: 'one-subgraph query: car(id)',
    query: 'query($id: ID!) { car(id: $id) { id brand model version revision } }',
    direct: 'car',
    plan: () => ({
      variables: (_connection, seq) => ({ id: seedCars[seq % seedCars.length]!.id }),
      shape: (data, variables) => {
        const car = isObject(data) ? data.car : undefined;
        if (!isObject(car)) return 'no car';
        if (car.id !== variables.id) return `car ${String(car.id)} instead of ${String(variables.id)}`;
        if (!isString(car.brand) || !isString(car.model) || !(car.version === null || isString(car.version)))
          return 'car fields';
        return Number.isInteger(car.revision) && (car.revision as number) >= 1 ? null : 'revision';
      },
    }),
  },
  {
    key: 'three-subgraph',
    title: 'three-subgraph query: 20 cars with cost center and manager',
    query:
      '{ cars(first: 20) { edges { node { brand model costCenter { code societyName manager { username email } } } } } }',
    direct: null,
    plan: () => ({
      variables: () => ({}),
      shape: (data) => {
        const edges = isObject(data) && isObject(data.cars) ? data.cars.edges : undefined;
        if (!Array.isArray(edges) || edges.length !== 20)
          return `expected 20 edges, got ${Array.isArray(edges) ? edges.length : 'none'}`;
        for (const edge of edges as unknown[]) {
          const node = isObject(edge) ? edge.node : undefined;
          if (!isObject(node) || !isString(node.brand) || !isString(node.model)) return 'car fields';
          const center = node.costCenter;
          if (!isObject(center) || !isString(center.code) || !isString(center.societyName)) return 'cost center';
          const manager = center.manager;
          if (!isObject(manager) || !isString(manager.username) || !isString(manager.email)) return 'manager';
        }
        return null;
      },
    }),
  },
  {
    key: 'mutation',
    title: 'mutation: updateCar(id, { version })',
    query: 'mutation($id: ID!, $v: String) { updateCar(id: $id, input: { version: $v }) { id revision } }',
    direct: 'car',
    plan: (target) => {
      // Each connection updates its own car (connections beyond 40 share), with a new version
      // every time, so every request is a real write; its revision must only ever go up.
      const lastRevision = new Map<number, number>();
      const run = randomUUID().slice(0, 8);
      return {
        variables: (connection, seq) => ({
          id: seedCars[connection % seedCars.length]!.id,
          v: `bench ${target} ${run} ${seq}`,
        }),
        shape: (data, variables, connection) => {
          const car = isObject(data) ? data.updateCar : undefined;
          if (!isObject(car) || car.id !== variables.id) return 'no updated car';
          const revision = car.revision;
          if (!Number.isInteger(revision)) return 'revision';
          const previous = lastRevision.get(connection) ?? 0;
          if ((revision as number) <= previous) return `revision ${String(revision)} after ${previous}`;
          lastRevision.set(connection, revision as number);
          return null;
        },
      };
    },
  },
];

interface CpuSample {
  ticks: Partial<Record<ServiceName, number>>;
  client: NodeJS.CpuUsage;
  at: number;
}

interface Measurement {
  round: number;
  operation: OperationKey;
  target: Target;
  connections: number;
  startedAt: string;
  /** os.loadavg() (1, 5, 15 min) when the run started and when it ended. */
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  /** CPU used during the run, % of one core, per process (Linux /proc; the client is this process). */
  cpuPercent: Record<string, number>;
  /**
   * Gateway runs: the gateway's subgraph calls per request answered (from its /metrics). Below the
   * number of subgraphs the operation needs when identical queries in flight shared one execution.
   */
  subgraphFetchesPerRequest?: number;
  result: LoadResult;
}

const SERVICES: ServiceName[] = ['gateway', ...subgraphNames()];
const CLOCK_TICKS = 100; // USER_HZ on Linux

function processTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

function sampleCpu(graph: BenchGraph): CpuSample {
  return {
    ticks: Object.fromEntries(SERVICES.map((name) => [name, processTicks(graph.pid(name))])),
    client: process.cpuUsage(),
    at: performance.now(),
  };
}

function cpuSince(graph: BenchGraph, before: CpuSample): Record<string, number> {
  const after = sampleCpu(graph);
  const seconds = (after.at - before.at) / 1000;
  const percent: Record<string, number> = {};
  for (const name of SERVICES) {
    const a = before.ticks[name];
    const b = after.ticks[name];
    if (a !== undefined && b !== undefined) percent[name] = Math.round(((b - a) / CLOCK_TICKS / seconds) * 100);
  }
  const client = process.cpuUsage(before.client);
  percent.client = Math.round(((client.user + client.system) / 1e6 / seconds) * 100);
  return percent;
}

/** The gateway's calls to each subgraph so far (its /metrics), to see how many requests shared an answer. */
async function subgraphFetches(gatewayBase: string, managementToken: string): Promise<Record<string, number> | null> {
  try {
    const response = await fetch(`${gatewayBase}/metrics`, {
      headers: { authorization: `Bearer ${managementToken}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) return null;
    const counts: Record<string, number> = {};
    for (const line of (await response.text()).split('\n')) {
      const match = /^gateway_subgraph_fetch_duration_seconds_count\{([^}]*)\}\s+(\S+)/.exec(line);
      const subgraph = match ? /subgraph="([^"]+)"/.exec(match[1]!)?.[1] : undefined;
      if (match && subgraph) counts[subgraph] = (counts[subgraph] ?? 0) + Number(match[2]);
    }
    return counts;
  } catch {
    return null;
  }
}

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const fmt = (value: number | null | undefined, digits = 2) =>
  value === undefined || value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
const load = (values: number[]) => values.map((v) => v.toFixed(2)).join('/');

function decodeJwt(token: string): { sub: string; jti: string } {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    sub?: unknown;
    jti?: unknown;
  };
  if (!isString(payload.sub) || !isString(payload.jti)) throw new Error('the access token has no sub or jti');
  return { sub: payload.sub, jti: payload.jti };
}

async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

async function main(): Promise<void> {
  const values = benchmarkOptions({
    seconds: { type: 'number', default: 10, min: 0, minExcluded: true, max: 600 },
    rounds: { type: 'number', default: 3, integer: true, min: 1, max: 20 },
    connections: { type: 'number', default: 50, integer: true, min: 2, max: 500 },
    warmup: { type: 'number', min: 0, max: 60 },
    postgres: { type: 'boolean' },
    'no-dedup': { type: 'boolean' },
    'no-single-fetch': { type: 'boolean' },
    'no-plan-execution': { type: 'boolean' },
    only: { type: 'string', default: '' },
  });
  // `--only one-subgraph,mutation`: a shorter run of some operations (the issue's latency target is one-subgraph's).
  const only = values.only.split(',').filter(Boolean);
  const unknown = only.filter((key) => !ALL_OPERATIONS.some((op) => op.key === key));
  if (unknown.length > 0)
    throw new Error(`--only takes ${ALL_OPERATIONS.map((op) => op.key).join(', ')}; not ${unknown.join(', ')}`);
  const OPERATIONS = only.length ? ALL_OPERATIONS.filter((op) => only.includes(op.key)) : ALL_OPERATIONS;
  const { seconds, rounds, connections: high } = values;
  const warmup = values.warmup ?? Math.min(2, seconds);
  const postgresAdminUrl = values.postgres ? benchPostgresAdminUrl() : undefined;

  const levels = [1, high];
  const pairs = OPERATIONS.reduce((n, op) => n + levels.length * (op.direct ? 2 : 1), 0);
  const warmups = OPERATIONS.reduce((n, op) => n + (op.direct ? 2 : 1), 0);
  // Start-up, warm-up, every run (plus a request timeout and a pause each), shutdown: past this, give up.
  const hopFloorSeconds = Math.min(seconds, HOP_FLOOR_SECONDS);
  const budgetMs =
    240_000 +
    warmups * (warmup * 1000 + 11_000) +
    rounds * pairs * (seconds * 1000 + 12_000) +
    (rounds * 2 * hopFloorSeconds * 1000 + 30_000) +
    30_000;

  const stop = new AbortController();
  const log = (line: string) => console.log(line);
  const dedup = !values['no-dedup'];
  const singleFetch = !values['no-single-fetch'];
  const planExecution = !values['no-plan-execution'];
  const graph = new BenchGraph({
    postgresAdminUrl,
    log,
    gatewayEnv: {
      ...(dedup ? {} : { DEDUPLICATE_QUERIES: 'false' }),
      ...(singleFetch ? {} : { FAST_SINGLE_FETCH: 'false' }),
      ...(planExecution ? {} : { FAST_PLAN_EXECUTION: 'false' }),
    },
    onUnexpectedExit: (service, how) => abort(`the ${service} service exited on its own (${how})`, 1),
  });
  let cleaned: Promise<void> | null = null;
  const cleanup = () => (cleaned ??= graph.stop());
  const abort = (why: string, code: number) => {
    if (stop.signal.aborted) return;
    console.error(`\n${why}: stopping the graph`);
    stop.abort();
    process.exitCode = code;
    const force = setTimeout(() => process.exit(code), 30_000);
    force.unref();
    void cleanup().finally(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => abort(`${signal} received`, 130));
  const budget = setTimeout(() => abort(`time budget of ${Math.round(budgetMs / 1000)} s exceeded`, 1), budgetMs);
  budget.unref();

  try {
    const startedAt = new Date();
    log(
      `bench:graph: ${seconds} s per run, ${rounds} round(s), 1 and ${high} connections, ${warmup} s warm-up, ` +
        `gateway deduplication of identical in-flight queries ${dedup ? 'on (its default)' : 'off (--no-dedup)'}, ` +
        `single-fetch answers ${singleFetch ? 'on (their default)' : 'off (--no-single-fetch)'}, ` +
        `the gateway's plan executor ${planExecution ? 'on (its default)' : 'off (--no-plan-execution)'}; starting the graph...`,
    );
    await graph.start();
    log(
      `graph up on ${graph.backend}: gateway ${graph.url('gateway')}, car ${graph.url('car')}, cost-center ${graph.url('cost-center')}, user ${graph.url('user')}`,
    );

    // Sign in through the gateway, as a client would.
    const gatewayUrl = `${graph.url('gateway')}/graphql`;
    const login = await postJson(
      gatewayUrl,
      JSON.stringify({ query: `mutation { login(username: "admin", password: "${SEED_PASSWORD}") { token } }` }),
      {},
    );
    const token = (login.json as { data?: { login?: { token?: string } } } | null)?.data?.login?.token;
    if (!token) throw new Error(`login failed: HTTP ${login.status} ${JSON.stringify(login.json)}`);

    // The identity the gateway puts on each subgraph call for this token
    // (gateway/src/auth/tokenVerifier.ts): the token's user and id, the scopes the
    // user service reports for it now, and the client address the gateway sees.
    const { sub, jti } = decodeJwt(token);
    const statusBody = JSON.stringify({ tokenId: jti, userId: sub });
    const statusUrl = `${graph.url('user')}${TOKEN_STATUS_PATH}`;
    const status = await postJson(
      statusUrl,
      statusBody,
      await signRequest(
        { ...ANONYMOUS, service: 'gateway' },
        { method: 'POST', url: statusUrl, body: statusBody },
        graph.secret,
        { audience: TOKEN_STATUS_AUDIENCE },
      ),
    );
    const tokenStatus = status.json as TokenStatus | null;
    if (status.status !== 200 || !tokenStatus?.active)
      throw new Error(`token status: HTTP ${status.status} ${JSON.stringify(status.json)}`);
    const caller: CallerIdentity = {
      ...ANONYMOUS,
      userId: sub,
      tokenId: jti,
      scopes: tokenStatus.scopes,
      clientIp: '127.0.0.1',
    };
    log(`signed in as admin (user ${sub}); direct calls signed with scopes ${caller.scopes.join(' ')}`);

    const requestFor = async (
      op: Operation,
      target: Target,
      url: string,
      variables: Record<string, unknown>,
    ): Promise<OutgoingRequest> => {
      const body = JSON.stringify({ query: op.query, variables });
      if (target === 'gateway') {
        return {
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
          body,
        };
      }
      // Signed afresh for every request, as the gateway does: each signature is single-use.
      const requestId = randomUUID();
      return {
        headers: {
          'content-type': 'application/json',
          accept: SUBGRAPH_ACCEPT,
          'x-request-id': requestId,
          ...(await signRequest(caller, { method: 'POST', url, body }, graph.secret, {
            audience: op.direct!,
            requestId,
            deadline: Date.now() + SUBGRAPH_TIMEOUT_MS,
          })),
        },
        body,
      };
    };

    const measure = async (
      op: Operation,
      target: Target,
      connections: number,
      durationMs: number,
    ): Promise<LoadResult> => {
      const plan = op.plan(target);
      const sent = new Map<number, Record<string, unknown>>();
      const url = target === 'gateway' ? gatewayUrl : `${graph.url(op.direct!)}/graphql`;
      const shapeCheck = (connection: number) =>
        graphqlCheck((data) => plan.shape(data, sent.get(connection) ?? {}, connection));
      const checks = Array.from({ length: connections }, (_, connection) => shapeCheck(connection));
      return runLoad({
        url,
        connections,
        durationMs,
        signal: stop.signal,
        request: (connection, seq) => {
          const variables = plan.variables(connection, seq);
          sent.set(connection, variables);
          return requestFor(op, target, url, variables);
        },
        // Each connection has one request in flight, so its last variables are those of the answer.
        check: (status, body, connection) => checks[connection]!(status, body, connection),
      });
    };

    // Warm-up: JIT, connection pools, the gateway's query plan and token caches; not recorded.
    if (warmup > 0) {
      for (const op of OPERATIONS) {
        for (const target of (op.direct ? ['gateway', 'direct'] : ['gateway']) as Target[]) {
          if (stop.signal.aborted) return;
          const result = await measure(op, target, Math.min(8, high), warmup * 1000);
          if (stop.signal.aborted) return;
          log(
            `warm-up ${op.key.padEnd(14)} ${target.padEnd(7)} ${result.ok} ok, ${result.errors} errors${result.errors ? ` (${result.samples[0]})` : ''}`,
          );
          if (result.ok === 0)
            throw new Error(
              `warm-up of ${op.key} via ${target} had no successful response: ${result.samples.join(' | ')}`,
            );
        }
      }
    }

    const measurements: Measurement[] = [];
    for (let round = 1; round <= rounds; round++) {
      log(`\nround ${round}/${rounds}`);
      let pair = 0;
      for (const op of OPERATIONS) {
        for (const connections of levels) {
          // Alternate which target goes first, from pair to pair and from round to round.
          const targets: Target[] = !op.direct
            ? ['gateway']
            : (round + pair++) % 2 === 1
              ? ['gateway', 'direct']
              : ['direct', 'gateway'];
          for (const target of targets) {
            if (stop.signal.aborted) return;
            await delay(300);
            const loadAverageBefore = os.loadavg();
            const fetchesBefore =
              target === 'gateway' ? await subgraphFetches(graph.url('gateway'), graph.managementToken) : null;
            const cpu = sampleCpu(graph);
            const begun = new Date().toISOString();
            const result = await measure(op, target, connections, seconds * 1000);
            if (stop.signal.aborted) return; // cut short: not a measurement
            const cpuPercent = cpuSince(graph, cpu);
            const fetchesAfter = fetchesBefore
              ? await subgraphFetches(graph.url('gateway'), graph.managementToken)
              : null;
            const answered = result.ok + result.errors;
            const fetches =
              fetchesBefore && fetchesAfter
                ? Object.entries(fetchesAfter).reduce((n, [name, count]) => n + count - (fetchesBefore[name] ?? 0), 0)
                : null;
            const measurement: Measurement = {
              round,
              operation: op.key,
              target,
              connections,
              startedAt: begun,
              loadAverageBefore,
              loadAverageAfter: os.loadavg(),
              cpuPercent,
              ...(fetches !== null && answered > 0 ? { subgraphFetchesPerRequest: fetches / answered } : {}),
              result,
            };
            measurements.push(measurement);
            const l = result.latencyMs;
            const cpuText = Object.entries(measurement.cpuPercent)
              .map(([name, p]) => `${name} ${p}%`)
              .join(' ');
            log(
              `  ${op.key.padEnd(14)} ${target.padEnd(7)} c=${String(connections).padEnd(3)} ` +
                `${fmt(result.rps, 0).padStart(6)} rps  p50 ${fmt(l.p50)}  p99 ${fmt(l.p99)}  mean ${fmt(l.mean)} ms  ` +
                `errors ${result.errors}  load ${load(measurement.loadAverageAfter)}  cpu ${cpuText}` +
                (measurement.subgraphFetchesPerRequest !== undefined
                  ? `  subgraph calls/request ${fmt(measurement.subgraphFetchesPerRequest)}`
                  : '') +
                (result.errors ? `\n    first error: ${result.samples[0]}` : ''),
            );
          }
        }
      }
    }

    // Tables and summary.
    const summary: Record<string, unknown> = {};
    let totalErrors = 0;
    for (const op of OPERATIONS) {
      const ofOp = measurements.filter((m) => m.operation === op.key);
      totalErrors += ofOp.reduce((n, m) => n + m.result.errors, 0);
      const pick = (target: Target, connections: number) =>
        ofOp.filter((m) => m.target === target && m.connections === connections);
      const row = (label: string, target: Target, round?: number) => {
        const at = (connections: number) =>
          pick(target, connections).filter((m) => round === undefined || m.round === round);
        const low = at(1);
        const hi = at(high);
        if (!op.direct && target === 'direct') {
          return `${label.padEnd(16)} ${'n/a'.padStart(8)} ${'n/a'.padStart(8)} ${'n/a'.padStart(8)} ${''.padStart(6)} ${''.padStart(15)} | ${'n/a'.padStart(7)} ${'n/a'.padStart(8)} ${'n/a'.padStart(8)}`;
        }
        const m = (list: Measurement[], f: (x: Measurement) => number) => median(list.map(f));
        const errors = (list: Measurement[]) => list.reduce((n, x) => n + x.result.errors, 0);
        const loads = (list: Measurement[]) =>
          round === undefined ? '' : list.map((x) => load(x.loadAverageAfter)).join(' ');
        return (
          `${label.padEnd(16)} ${fmt(m(low, (x) => x.result.latencyMs.p50)).padStart(8)} ${fmt(m(low, (x) => x.result.latencyMs.p99)).padStart(8)} ` +
          `${fmt(m(low, (x) => x.result.latencyMs.mean)).padStart(8)} ${String(errors(low)).padStart(6)} ${loads(low).padStart(15)} | ` +
          `${fmt(
            m(hi, (x) => x.result.rps),
            0,
          ).padStart(
            7,
          )} ${fmt(m(hi, (x) => x.result.latencyMs.p50)).padStart(8)} ${fmt(m(hi, (x) => x.result.latencyMs.p99)).padStart(8)} ` +
          `${String(errors(hi)).padStart(6)} ${loads(hi).padStart(15)}`
        );
      };
      log(
        `\n${op.title}${op.direct ? ` (direct: ${op.direct} subgraph)` : ' (direct: n/a, it needs three subgraphs)'}`,
      );
      log(`  ${op.query}`);
      log(`${''.padEnd(16)} ${'1 connection, ms'.padEnd(49)} | ${high} connections`);
      log(
        `${'round target'.padEnd(16)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'mean'.padStart(8)} ${'errors'.padStart(6)} ${'load 1/5/15m'.padStart(15)} | ${'rps'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(6)} ${'load 1/5/15m'.padStart(15)}`,
      );
      for (let round = 1; round <= rounds; round++) {
        for (const target of ['gateway', 'direct'] as Target[]) log(row(`${round}     ${target}`, target, round));
      }
      for (const target of ['gateway', 'direct'] as Target[]) log(row(`median ${target}`, target));

      const stats = (target: Target) => {
        const low = pick(target, 1);
        const hi = pick(target, high);
        if (low.length === 0) return null;
        return {
          oneConnection: {
            p50Ms: median(low.map((x) => x.result.latencyMs.p50)),
            p99Ms: median(low.map((x) => x.result.latencyMs.p99)),
            meanMs: median(low.map((x) => x.result.latencyMs.mean)),
          },
          manyConnections: {
            connections: high,
            rps: median(hi.map((x) => x.result.rps)),
            p50Ms: median(hi.map((x) => x.result.latencyMs.p50)),
            p99Ms: median(hi.map((x) => x.result.latencyMs.p99)),
            ...(target === 'gateway'
              ? { subgraphCallsPerRequest: median(hi.map((x) => x.subgraphFetchesPerRequest ?? Number.NaN)) }
              : {}),
          },
          errors: [...low, ...hi].reduce((n, x) => n + x.result.errors, 0),
        };
      };
      const gateway = stats('gateway');
      const direct = stats('direct');
      const ratio = gateway && direct ? gateway.oneConnection.p50Ms / direct.oneConnection.p50Ms : null;
      const rpsRatio = gateway && direct ? gateway.manyConnections.rps / direct.manyConnections.rps : null;
      const perRequest = gateway?.manyConnections.subgraphCallsPerRequest;
      if (dedup && op.key !== 'mutation' && perRequest !== undefined) {
        log(
          `gateway subgraph calls per request at ${high} connections: ${fmt(perRequest)} (identical queries in flight share one execution; mutations never)`,
        );
      }
      if (ratio === null) {
        log('gateway p50 / direct p50 at 1 connection: n/a (no direct measurement)');
      } else {
        const verdict =
          op.key === 'one-subgraph'
            ? ` (target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`
            : '';
        log(
          `gateway p50 / direct p50 at 1 connection: ${fmt(ratio)}x${verdict}; gateway rps / direct rps at ${high} connections: ${fmt(rpsRatio)}`,
        );
      }
      summary[op.key] = {
        query: op.query,
        directSubgraph: op.direct ?? 'n/a',
        gateway,
        direct: direct ?? 'n/a',
        ratioP50OneConnection: ratio,
        ratioRpsManyConnections: rpsRatio,
        ...(op.key === 'one-subgraph' ? { targetRatio: TARGET_RATIO } : {}),
      };
    }

    // What one more process costs on this machine with nothing done in it: a floor under the gateway's overhead.
    let hopFloor: HopFloor | undefined;
    if (OPERATIONS.some((op) => op.key === 'one-subgraph')) {
      hopFloor = await measureHopFloor({ seconds: hopFloorSeconds, rounds, signal: stop.signal });
      const direct = (summary['one-subgraph'] as { direct?: { oneConnection?: { p50Ms?: number } } } | undefined)
        ?.direct?.oneConnection?.p50Ms;
      log(
        `\nhop floor (a do-nothing node:http + undici proxy process in front of an origin that answers at once, 1 connection, ` +
          `medians of ${rounds} x ${hopFloorSeconds} s): direct p50 ${fmt(hopFloor.directP50Ms)} ms, through the proxy ` +
          `${fmt(hopFloor.proxiedP50Ms)} ms: one more process costs ${fmt(hopFloor.hopP50Ms)} ms at p50 on this machine` +
          (direct === undefined
            ? ''
            : `; the ${TARGET_RATIO}x target leaves the gateway ${fmt((TARGET_RATIO - 1) * direct)} ms over car(id)'s direct ${fmt(direct)} ms`),
      );
    }

    const finishedAt = new Date();
    const report = {
      benchmark: 'bench:graph',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      options: {
        seconds,
        rounds,
        connections: [1, high],
        warmupSeconds: warmup,
        backend: values.postgres ? 'postgresql' : 'pglite',
        gatewayDeduplication: dedup,
        gatewaySingleFetch: singleFetch,
      },
      environment: {
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        loadAverageAtStart: measurements[0]?.loadAverageBefore,
        note: 'client, gateway and subgraphs share this machine; the client runs in the benchmark process',
      },
      summary,
      hopFloor,
      measurements,
    };
    await mkdir(RESULTS_DIR, { recursive: true });
    const stamp = finishedAt.toISOString().replace(/[:.]/g, '-');
    const file = path.join(RESULTS_DIR, `graph-${stamp}.json`);
    const text = `${JSON.stringify(report, null, 2)}\n`;
    await writeFile(file, text);
    await writeFile(path.join(RESULTS_DIR, 'latest-graph.json'), text);
    log(`\nerrors in all measured runs: ${totalErrors}`);
    log(
      `results: ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest-graph.json'))}`,
    );
    if (totalErrors > 0) process.exitCode = 1;
  } finally {
    clearTimeout(budget);
    await cleanup();
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
