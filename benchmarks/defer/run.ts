/**
 * `npm run bench:defer [-- --requests 50 --concurrency 4 --delay 300]`
 *
 * @defer through the gateway (docs/defer.md): the page of 20 cars whose cost
 * center and manager (the cost-center and user subgraphs) are deferred, with
 * the cost-center subgraph behind a proxy that delays each call by `delay`
 * ms (the product code has no test hook). For each request, the time to the
 * first part (the cars) and to the whole answer (the last part); p50/p99 of
 * both, beside the same query answered in one JSON response. Runs the graph
 * as processes (embedded databases), prints the machine and its load
 * average, and writes benchmarks/results/latest-defer.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { subgraphUrlVariable } from '@car-check/service-kit';
import { multipartParts } from '@car-check/test-support/deferredParts';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { postGraphQL } from '@car-check/test-support/graphql';
import { benchmarkOptions } from '../lib/options';
import { ProcessGraph } from '../lib/processGraph';
import { progressLog } from '../lib/runLog';
import { loadAverage, quantiles, type Quantiles } from '../lib/stats';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const PAGE = `query CarsPage { cars(first: 20) { edges { node { id brand model ... @defer { costCenter { code manager { username } } } } } } }`;
const DEFER_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9';

interface Timing {
  firstMs: number;
  wholeMs: number;
  parts: number;
}

async function deferredOnce(url: string, headers: Record<string, string>): Promise<Timing> {
  const sent = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT, ...headers },
    body: JSON.stringify({ query: PAGE }),
  });
  if (!response.headers.get('content-type')?.startsWith('multipart/mixed'))
    throw new Error(`not a multipart answer: HTTP ${response.status} ${await response.text()}`);
  let firstMs = NaN;
  let wholeMs = NaN;
  let parts = 0;
  for await (const { part, at } of multipartParts<{ hasNext: boolean; errors?: unknown[] }>(response)) {
    if (part.errors) throw new Error(`errors in a part: ${JSON.stringify(part.errors)}`);
    parts += 1;
    if (parts === 1) firstMs = at - sent;
    if (!part.hasNext) wholeMs = at - sent;
  }
  return { firstMs, wholeMs, parts };
}

async function plainOnce(url: string, headers: Record<string, string>): Promise<number> {
  const sent = performance.now();
  const response = await postGraphQL(url, { query: PAGE }, headers);
  if (response.errors?.length || !response.data) throw new Error(`errors: ${JSON.stringify(response.errors)}`);
  return performance.now() - sent;
}

/** Runs `once` `requests` times over `concurrency` clients. */
async function measure<T>(requests: number, concurrency: number, once: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let started = 0;
  const client = async () => {
    while (started < requests) {
      started += 1;
      results.push(await once());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return results;
}

const line = (label: string, q: Quantiles) =>
  `  ${label.padEnd(40)} p50 ${q.p50.toFixed(1).padStart(7)} ms   p99 ${q.p99.toFixed(1).padStart(7)} ms   (n = ${q.count})`;

async function main(): Promise<void> {
  const { requests, concurrency, delay } = benchmarkOptions({
    requests: { type: 'number', default: 50, integer: true, min: 1, max: 100_000 },
    concurrency: { type: 'number', default: 4, integer: true, min: 1, max: 200 },
    delay: { type: 'number', default: 300, integer: true, min: 0, max: 10_000 },
  });
  const log = progressLog();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()}, Node ${process.version}`;
  log(`bench:defer at ${commit} on ${machine}; load average ${loadAverage().join(' ')}`);
  const graph = new ProcessGraph({ RATE_LIMIT_PER_MINUTE: '10000000' });
  let proxy: DelayProxy | undefined;
  try {
    await graph.start(async (g) => {
      proxy = new DelayProxy(`${g.url('cost-center')}/graphql`);
      return { [subgraphUrlVariable('cost-center')]: await proxy.start() };
    });
    const url = `${graph.url('gateway')}/graphql`;
    const login = await postGraphQL<{ login: { token: string } }>(url, {
      query: 'mutation { login(username: "admin", password: "dev-password") { token } }',
    });
    const headers = { authorization: `Bearer ${login.data!.login.token}` };
    // Warm-up without delay: plans, connections, JIT.
    await measure(20, concurrency, () => deferredOnce(url, headers));
    await measure(20, concurrency, () => plainOnce(url, headers));
    proxy!.delayMs = delay;
    log(`cost-center delayed by ${delay} ms; ${requests} requests each way, ${concurrency} concurrent clients`);
    const deferred = await measure(requests, concurrency, () => deferredOnce(url, headers));
    const plain = await measure(requests, concurrency, () => plainOnce(url, headers));
    const first = quantiles(deferred.map((timing) => timing.firstMs));
    const whole = quantiles(deferred.map((timing) => timing.wholeMs));
    const oneJson = quantiles(plain);
    log('');
    log(`The page of 20 cars, cost center and manager deferred, cost-center subgraph +${delay} ms:`);
    log(line('@defer: first part (the cars)', first));
    log(line('@defer: whole answer (last part)', whole));
    log(line('one JSON response (no multipart accept)', oneJson));
    log(`  parts per answer: ${[...new Set(deferred.map((timing) => timing.parts))].join(', ')}`);
    log(`  load average ${loadAverage().join(' ')}`);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      path.join(RESULTS_DIR, 'latest-defer.json'),
      `${JSON.stringify({ commit, machine, at: new Date().toISOString(), delay, requests, concurrency, first, whole, oneJson, loadAverage: loadAverage() }, null, 2)}\n`,
    );
  } finally {
    await graph.stop();
    await proxy?.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
