/**
 * `npm run bench:graph:profile [-- --seconds 15 --connections 50]`
 *
 * Where the gateway's time goes for the one-subgraph query `car(id)`: starts the
 * bench graph (graph.ts) with the gateway preloading cpuProfiler.cjs, signs in,
 * warms up, then profiles the gateway (V8 sampling profiler, 100 µs unless
 * `--interval-us`) over a load
 * at 1 connection and another at N connections. Prints each window's top frames
 * by self time and the self time per package, and keeps the .cpuprofile files
 * (open them in Chrome DevTools) in benchmarks/results/profile-<time>/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { seedCars } from '@car-check/subgraph-kit/demo';
import { benchmarkOptions } from '../lib/options';
import { BenchGraph, SEED_PASSWORD } from './graph';
import { graphqlCheck, runLoad } from './load';
import { summarizeProfile, type CpuProfile } from './profileSummary';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const QUERY = 'query($id: ID!) { car(id: $id) { id brand model version revision } }';
const PROFILE_WAIT_MS = 60_000;

async function main(): Promise<void> {
  const {
    seconds,
    connections,
    top,
    'interval-us': intervalUs,
  } = benchmarkOptions({
    seconds: { type: 'number', default: 15, min: 1, max: 600 },
    connections: { type: 'number', default: 50, integer: true, min: 2, max: 500 },
    top: { type: 'number', default: 25, integer: true, min: 1, max: 200 },
    // The sampling interval: each sample interrupts the process (a signal), which on some machines
    // (nested virtual machines) costs enough to distort what it measures; a coarser one distorts less.
    'interval-us': { type: 'number', default: 100, integer: true, min: 10, max: 100_000 },
  });
  const dir = path.join(RESULTS_DIR, `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  const graph = new BenchGraph({
    log: (line) => console.log(line),
    gatewayEnv: {
      NODE_OPTIONS: `--require ${path.join(__dirname, 'cpuProfiler.cjs')}`,
      CPU_PROFILE_DIR: dir,
      CPU_PROFILE_INTERVAL_US: String(intervalUs),
    },
    onUnexpectedExit: (service, how) => {
      console.error(`the ${service} service exited on its own (${how})`);
      process.exit(1);
    },
  });
  try {
    await graph.start();
    const url = `${graph.url('gateway')}/graphql`;
    const login = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { login(username: "admin", password: "${SEED_PASSWORD}") { token } }` }),
    });
    const token = ((await login.json()) as { data?: { login?: { token?: string } } }).data?.login?.token;
    if (!token) throw new Error(`login failed: HTTP ${login.status}`);
    const load = (n: number, ms: number) => {
      const sent = new Map<number, string>();
      return runLoad({
        url,
        connections: n,
        durationMs: ms,
        request: (connection, seq) => {
          const id = seedCars[seq % seedCars.length]!.id;
          sent.set(connection, id);
          return {
            headers: {
              'content-type': 'application/json',
              accept: 'application/json',
              authorization: `Bearer ${token}`,
            },
            body: JSON.stringify({ query: QUERY, variables: { id } }),
          };
        },
        check: (status, body, connection) =>
          graphqlCheck((data) =>
            (data as { car?: { id?: string } } | null)?.car?.id === sent.get(connection) ? null : 'shape',
          )(status, body, connection),
      });
    };
    await load(8, 3_000); // JIT, pools, plan and token caches
    const gatewayPid = graph.pid('gateway')!;
    let windows = 0;
    for (const n of [1, connections]) {
      process.kill(gatewayPid, 'SIGUSR2');
      await delay(200);
      const result = await load(n, seconds * 1000);
      process.kill(gatewayPid, 'SIGUSR2');
      windows += 1;
      const file = path.join(dir, `${windows}.cpuprofile`);
      const done = Date.now() + PROFILE_WAIT_MS;
      while (!existsSync(path.join(dir, `${windows}.done`)) && Date.now() < done) await delay(200);
      const l = result.latencyMs;
      console.log(
        `\n== ${n} connection(s), ${seconds} s: ${result.ok} ok, ${result.errors} errors, ` +
          `${result.rps.toFixed(0)} rps, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms ==`,
      );
      const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
      console.log(summarizeProfile(profile, { top, requests: result.ok + result.errors }));
      console.log(`profile: ${path.relative(process.cwd(), file)}`);
    }
  } finally {
    await graph.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
