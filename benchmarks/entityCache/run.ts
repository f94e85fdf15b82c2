/**
 * `npm run bench:entity-cache [-- --seconds 10 --rounds 3 --connections 20]`
 *
 * The entity cache on the project's graph (docs/entity-cache.md): the console's page of 20 cars
 * with each car's cost center and its manager, at 95 % reads and 5 % writes (a cost center's
 * society renamed through the gateway), through two gateways of the same kind of graph, one with
 * ENTITY_CACHE off and one with it on, each on its own database, rounds interleaved. Prints RPS,
 * p50/p99 of the reads, the hit ratio and the invalidation lag (the gateway's own metrics), and
 * writes benchmarks/results/latest-entity-cache.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BenchGraph, SEED_PASSWORD } from '../graph/graph';
import { graphqlCheck, runLoad, type LoadResult } from '../graph/load';
import { benchmarkOptions } from '../lib/options';
import { benchPostgresAdminUrl } from '../lib/postgres';
import { progressLog } from '../lib/runLog';
import { loadAverage } from '../lib/stats';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const MANAGEMENT_TOKEN = 'bench-entity-cache-management-token-0123456789';
const PAGE = `query CarsPage { cars(first: 20) { edges { node { id brand model costCenter { id code societyName manager { id username } } } } } }`;
const RENAME = `mutation Rename($id: ID!, $name: String!) { updateCostCenter(id: $id, input: { societyName: $name }) { id } }`;
/** One request in WRITE_EVERY is a write. */
const WRITE_EVERY = 20;

type Mode = 'off' | 'on';

interface Measured {
  mode: Mode;
  round: number;
  result: LoadResult;
}

async function login(url: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `mutation { login(username: "admin", password: "${SEED_PASSWORD}") { token } }` }),
  });
  const body = (await response.json()) as { data?: { login: { token: string } } };
  if (!body.data) throw new Error(`cannot sign in at ${url}: HTTP ${response.status}`);
  return body.data.login.token;
}

/** The cost centers the page shows: the writes rename them, so every write invalidates what reads use. */
async function costCentersOnPage(url: string, token: string): Promise<string[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: PAGE }),
  });
  const body = (await response.json()) as {
    data?: { cars: { edges: { node: { costCenter: { id: string } | null } }[] } };
  };
  const ids = new Set(
    (body.data?.cars.edges ?? []).flatMap((edge) => (edge.node.costCenter ? [edge.node.costCenter.id] : [])),
  );
  if (ids.size === 0) throw new Error('the page shows no cost center');
  return [...ids];
}

/** Sums of a metric's samples whose labels match, from the gateway's /metrics. */
async function scrape(gatewayBase: string): Promise<Map<string, number>> {
  const text = await (
    await fetch(new URL('/metrics', gatewayBase), { headers: { authorization: `Bearer ${MANAGEMENT_TOKEN}` } })
  ).text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(gateway_entity_cache_[a-z_]+)(\{([^}]*)\})? ([0-9.e+-]+)$/.exec(line);
    if (!match) continue;
    const outcome = /outcome="(\w+)"/.exec(match[3] ?? '')?.[1];
    const name = outcome ? `${match[1]}:${outcome}` : match[1]!;
    sums.set(name, (sums.get(name) ?? 0) + Number(match[4]));
  }
  return sums;
}

async function main(): Promise<void> {
  const { seconds, rounds, connections } = benchmarkOptions({
    seconds: { type: 'number', default: 10, min: 1, max: 600 },
    rounds: { type: 'number', default: 3, integer: true, min: 1, max: 20 },
    connections: { type: 'number', default: 20, integer: true, min: 1, max: 500 },
  });
  const log = progressLog();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`bench:entity-cache at ${commit} on ${machine}; load average ${loadAverage().join(' ')}`);
  const graphs: Record<Mode, BenchGraph> = {
    off: new BenchGraph({
      postgresAdminUrl: benchPostgresAdminUrl(),
      log,
      gatewayEnv: { ENTITY_CACHE: 'false', MANAGEMENT_TOKEN },
      onUnexpectedExit: (service, how) => log(`off: ${service} exited (${how})`),
    }),
    on: new BenchGraph({
      postgresAdminUrl: benchPostgresAdminUrl(),
      log,
      gatewayEnv: { ENTITY_CACHE: 'true', MANAGEMENT_TOKEN },
      onUnexpectedExit: (service, how) => log(`on: ${service} exited (${how})`),
    }),
  };
  const stopAll = () => Promise.all(Object.values(graphs).map((graph) => graph.stop()));
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  try {
    await graphs.off.start();
    await graphs.on.start();
    const targets = await Promise.all(
      (['off', 'on'] as const).map(async (mode) => {
        const url = `${graphs[mode].url('gateway')}/graphql`;
        const token = await login(url);
        return { mode, url, token, centers: await costCentersOnPage(url, token) };
      }),
    );
    const measured: Measured[] = [];
    let renames = 0;
    for (let round = 1; round <= rounds; round++) {
      // Alternate which mode goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const target of order) {
        const result = await runLoad({
          url: target.url,
          connections,
          durationMs: seconds * 1000,
          request: (_connection, seq) => {
            const write = seq % WRITE_EVERY === WRITE_EVERY - 1;
            const body = write
              ? {
                  query: RENAME,
                  variables: { id: target.centers[seq % target.centers.length], name: `Society ${(renames += 1)}` },
                }
              : { query: PAGE };
            return {
              headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
              body: JSON.stringify(body),
            };
          },
          check: graphqlCheck((data) => (data && typeof data === 'object' ? null : 'no data')),
        });
        measured.push({ mode: target.mode, round, result });
        log(
          `  round ${round}, cache ${target.mode}: ${result.rps.toFixed(0)} rps, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ${result.errors} errors`,
        );
      }
    }
    const metrics = await scrape(graphs.on.url('gateway'));
    const hits = metrics.get('gateway_entity_cache_lookups_total:hit') ?? 0;
    const misses = metrics.get('gateway_entity_cache_lookups_total:miss') ?? 0;
    const lagSum = metrics.get('gateway_entity_cache_invalidation_lag_seconds_sum') ?? 0;
    const lagCount = metrics.get('gateway_entity_cache_invalidation_lag_seconds_count') ?? 0;
    const summary = (['off', 'on'] as const).map((mode) => {
      const runs = measured.filter((each) => each.mode === mode).map((each) => each.result);
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      return {
        mode,
        rps: median(runs.map((run) => run.rps)),
        p50: median(runs.map((run) => run.latencyMs.p50)),
        p99: median(runs.map((run) => run.latencyMs.p99)),
        errors: runs.reduce((total, run) => total + run.errors, 0),
      };
    });
    log('');
    log(
      `The page of 20 cars with cost center and manager, 95 % reads, ${connections} connections, ${rounds} rounds of ${seconds} s (medians):`,
    );
    for (const each of summary)
      log(
        `  cache ${each.mode.padEnd(3)} ${each.rps.toFixed(0).padStart(6)} rps   p50 ${each.p50.toFixed(2).padStart(7)} ms   p99 ${each.p99.toFixed(2).padStart(7)} ms   errors ${each.errors}`,
      );
    log(`  hit ratio ${((100 * hits) / Math.max(1, hits + misses)).toFixed(1)} % (${hits} hits, ${misses} misses)`);
    log(
      `  invalidation lag: mean ${lagCount ? ((1000 * lagSum) / lagCount).toFixed(0) : '-'} ms over ${lagCount} changes (event time to entries dropped)`,
    );
    log(`  load average ${loadAverage().join(' ')}`);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      path.join(RESULTS_DIR, 'latest-entity-cache.json'),
      `${JSON.stringify({ commit, machine, at: new Date().toISOString(), connections, seconds, rounds, summary, hits, misses, lagMeanMs: lagCount ? (1000 * lagSum) / lagCount : null, measured }, null, 2)}\n`,
    );
  } finally {
    await stopAll();
  }
}

void main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
