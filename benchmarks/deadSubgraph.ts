/**
 * `npm run bench:dead-subgraph [-- --requests 400]`
 *
 * How the gateway behaves when a subgraph is down or past its deadline:
 *  - a query that needs the dead or slow subgraph must answer within the
 *    deadline + 100 ms, never hang;
 *  - queries that only need healthy subgraphs must not slow down because of it.
 * Runs the graph as four processes (embedded databases, or DATABASE_URL), with a
 * delaying proxy in front of the car subgraph, and prints p50/p95 per scenario.
 */
import { parseArgs } from 'node:util';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import { postGraphQL } from '@car-check/test-support/graphql';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { ProcessGraph } from './lib/processGraph';

const DEADLINE_MS = 500;
const HEALTHY = `{ users(first: 10) { totalCount edges { node { username } } } user(id: "${seedUsers[0]!.id}") { username managedCostCenters { code } } }`;
const NEEDS_CAR = `{ car: cars(first: 5) { totalCount } }`;

interface Stats {
  p50: number;
  p95: number;
  max: number;
  errors: number;
  count: number;
}

async function measure(
  url: string,
  query: string,
  requests: number,
  concurrency: number,
  headers: Record<string, string>,
): Promise<Stats> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const worker = async () => {
    while (started < requests) {
      started += 1;
      const begin = performance.now();
      const response = await postGraphQL(url, { query }, headers);
      latencies.push(performance.now() - begin);
      if (response.errors?.length) errors += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: latencies.at(-1)!, errors, count: latencies.length };
}

const ms = (value: number) => value.toFixed(1).padStart(8);
const row = (label: string, s: Stats) =>
  `${label.padEnd(52)} ${String(s.count).padStart(6)} ${ms(s.p50)} ${ms(s.p95)} ${ms(s.max)} ${String(s.errors).padStart(7)}`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '400' } } });
  const requests = Number(values.requests);
  const concurrency = 8;
  const graph = new ProcessGraph({ RATE_LIMIT_PER_MINUTE: '10000000' });
  let proxy: DelayProxy | undefined;
  try {
    await graph.start(async (g) => {
      proxy = new DelayProxy(`${g.url('car')}/graphql`);
      return { CAR_SUBGRAPH_URL: await proxy.start(), CAR_SUBGRAPH_TIMEOUT_MS: String(DEADLINE_MS) };
    });
    const gateway = `${graph.url('gateway')}/graphql`;
    const login = await postGraphQL<{ login: { token: string } }>(gateway, {
      query: 'mutation { login(username: "admin", password: "dev-password") { token } }',
    });
    const auth = { authorization: `Bearer ${login.data!.login.token}` };
    const lines: string[] = [];
    await measure(gateway, HEALTHY, 50, concurrency, auth); // warm-up

    lines.push(row('healthy query, all subgraphs up', await measure(gateway, HEALTHY, requests, concurrency, auth)));

    proxy!.delayMs = 10 * DEADLINE_MS;
    const [slow, besideSlow] = await Promise.all([
      measure(gateway, NEEDS_CAR, Math.max(20, Math.ceil(requests / 10)), 4, auth),
      measure(gateway, HEALTHY, requests, concurrency, auth),
    ]);
    lines.push(row(`needs car, car past its ${DEADLINE_MS} ms deadline`, slow));
    lines.push(row('healthy query, while car is past its deadline', besideSlow));

    proxy!.delayMs = 0;
    await graph.stopService('car');
    const [dead, besideDead] = await Promise.all([
      measure(gateway, NEEDS_CAR, requests, 4, auth),
      measure(gateway, HEALTHY, requests, concurrency, auth),
    ]);
    lines.push(row('needs car, car down', dead));
    lines.push(row('healthy query, while car is down', besideDead));

    console.log(`\nGateway latency in ms, four processes, ${concurrency} concurrent healthy clients\n`);
    console.log(
      `${'scenario'.padEnd(52)} ${'n'.padStart(6)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'errors'.padStart(7)}`,
    );
    for (const line of lines) console.log(line);
    const bound = DEADLINE_MS + 100;
    console.log(
      `\nslowest answer for a subgraph past its deadline: ${slow.max.toFixed(1)} ms (deadline + 100 ms = ${bound} ms): ${slow.max <= bound ? 'within' : 'OVER'}`,
    );
  } finally {
    await graph.stop();
    await proxy?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
