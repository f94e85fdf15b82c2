/**
 * `npm run bench:events [-- --rate 20 --updates 500 --cars 10000 --queries 100]`
 *
 * What the first read model (the car subgraph's replica of the cost centers,
 * docs/events.md) costs and buys, on PostgreSQL, the production database:
 *
 *  1. Lag, per delivery mode (the embedded feed, then RabbitMQ): a steady stream
 *     of cost-center updates through the gateway (`--rate` a second, open loop:
 *     each is sent on schedule, whether or not the previous one has answered),
 *     each to a cost center of its own (a new code), so that each replica row is
 *     written once.
 *     An update's lag is the replica row's `applied_at` (the consumer's
 *     transaction) minus the owner's `audit_event.at` (the writer's transaction):
 *     both read from the one PostgreSQL server, so one clock.
 *  2. Query time, at `--cars` cars (inserted straight into the car schema) over
 *     600 cost centers in 20 societies: `cars(filter: { societyName })` answered
 *     from the replica in one SQL statement, against the best API composition a
 *     client can do without it: one federated query for the society's cost
 *     centers (the owner's substring filter, made exact on the client) with the
 *     first page of each one's cars, merged and counted on the client. Both are
 *     sent one after the other, alternating which goes first, and must give the
 *     same totalCount and first page, or the benchmark fails.
 *
 * Each mode runs on a graph of its own (four processes, a fresh database
 * dropped at the end; with RabbitMQ an exchange and queue of the run's own,
 * deleted at the end). Prints the figures with the load average; writes
 * benchmarks/results/latest-events.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import { BenchGraph } from '../graph/graph';
import { AdminClient } from '../lib/adminClient';
import { AMQP_URL, withAmqp } from '../lib/amqp';
import { benchPostgresAdminUrl } from '../lib/postgres';
import { loadAverage, mean, quantiles as distribution, sleep, type Quantiles as Distribution } from '../lib/stats';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const SOCIETIES = Array.from({ length: 20 }, (_, i) => `Bench Society ${String(i + 1).padStart(2, '0')}`);
const CENTERS = 600;
const PAGE = 20;
const CONVERGED_MS = 180_000;
const managers = seedUsers.filter((user) => user.isActive).map((user) => user.id);

type Mode = 'feed' | 'amqp';
/** The shared quantiles, and the mean (this benchmark's table prints it). */
interface Quantiles extends Distribution {
  mean: number;
}
interface ModeResult {
  mode: Mode;
  rate: number;
  updates: number;
  /** Milliseconds from the owner's write to the replica's apply. */
  lagMs: Quantiles;
  /** The update mutations' own latency through the gateway. */
  writeMs: Quantiles;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}
interface QueryResult {
  cars: number;
  costCenters: number;
  societies: number;
  queries: number;
  readModelMs: Quantiles;
  compositionMs: Quantiles;
  /** Cars per society, as both answered. */
  carsPerSociety: { min: number; max: number };
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

const quantiles = (samples: number[]): Quantiles => ({ ...distribution(samples), mean: mean(samples) });
const fmt = (value: number) => value.toFixed(1).padStart(8);
const row = (label: string, q: Quantiles) =>
  `  ${label.padEnd(44)} ${String(q.count).padStart(6)} ${fmt(q.p50)} ${fmt(q.p90)} ${fmt(q.p99)} ${fmt(q.max)} ${fmt(q.mean)}`;
const header = (unit: string) =>
  `  ${''.padEnd(44)} ${'count'.padStart(6)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'mean'.padStart(8)}   (${unit})`;

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(
  items: T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + CONVERGED_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${CONVERGED_MS / 1000} s`);
    await sleep(50);
  }
}

/** Creates the run's cost centers through the gateway, 30 per society, and waits until the replica has them all. */
async function createCostCenters(client: AdminClient, db: pg.Client, run: string): Promise<string[]> {
  const ids: string[] = new Array<string>(CENTERS);
  await pool(
    Array.from({ length: CENTERS }, (_, i) => i),
    4,
    async (i) => {
      const data = await client.send<{ createCostCenter: { id: string } }>(
        `mutation($code: String!, $name: String!, $m: ID!) { createCostCenter(input: { code: $code, societyName: $name, managerId: $m }) { id } }`,
        { code: `B${run}-${i}`, name: SOCIETIES[i % SOCIETIES.length], m: managers[i % managers.length] },
      );
      ids[i] = data.createCostCenter.id;
    },
  );
  await waitUntil('the replica to hold every new cost center', async () => {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM car.cost_center_replica WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return rows[0]!.n === ids.length;
  });
  return ids;
}

/** A steady stream of updates (open loop), each to its own cost center; returns each one's lag and latency. */
async function measureLag(
  client: AdminClient,
  db: pg.Client,
  run: string,
  centers: string[],
  rate: number,
  updates: number,
): Promise<{ lag: number[]; write: number[] }> {
  const targets = centers.slice(0, updates);
  const write: number[] = [];
  const started = performance.now();
  await Promise.all(
    targets.map(async (id, i) => {
      const due = started + (i * 1000) / rate;
      await sleep(Math.max(0, due - performance.now()));
      const begin = performance.now();
      // A new code (the society stays, for the query phase): one cost-center.updated event.
      await client.send(
        `mutation($id: ID!, $code: String!) { updateCostCenter(id: $id, input: { code: $code }) { id } }`,
        { id, code: `${run}-R${i}` },
      );
      write.push(performance.now() - begin);
    }),
  );
  await waitUntil('the replica to apply every update', async () => {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM car.cost_center_replica WHERE id = ANY($1::uuid[]) AND revision >= 2',
      [targets],
    );
    return rows[0]!.n === targets.length;
  });
  const { rows } = await db.query<{ lag_ms: number }>(
    `SELECT extract(epoch FROM (r.applied_at - e.at)) * 1000 AS lag_ms
       FROM car.cost_center_replica r
       JOIN cost_center.audit_event e ON e.entity_id = r.id AND e.action = 'UPDATE' AND e.revision = 2
      WHERE r.id = ANY($1::uuid[]) AND r.revision = 2`,
    [targets],
  );
  if (rows.length !== targets.length)
    throw new Error(`expected ${targets.length} applied updates at revision 2, found ${rows.length}`);
  return { lag: rows.map((each) => Number(each.lag_ms)), write };
}

interface CarsPage {
  totalCount: number;
  ids: string[];
}

const READ_MODEL = `query($society: String!, $first: Int!) {
  cars(first: $first, filter: { societyName: $society }, orderBy: { field: CREATED_AT, direction: ASC }) {
    totalCount edges { node { id createdAt } }
  }
}`;
const COMPOSITION = `query($society: String!, $first: Int!) {
  costCenters(first: 100, filter: { societyName: $society }) {
    edges { node { id societyName cars(first: $first) { totalCount edges { node { id createdAt } } } } }
    pageInfo { hasNextPage }
  }
}`;

async function readModel(client: AdminClient, society: string): Promise<CarsPage> {
  const { cars } = await client.send<{ cars: { totalCount: number; edges: { node: { id: string } }[] } }>(READ_MODEL, {
    society,
    first: PAGE,
  });
  return { totalCount: cars.totalCount, ids: cars.edges.map((edge) => edge.node.id) };
}

/** The same answer without the replica: the gateway composes cost centers and their cars; the client filters, merges and counts. */
async function composition(client: AdminClient, society: string): Promise<CarsPage> {
  const { costCenters } = await client.send<{
    costCenters: {
      edges: {
        node: {
          id: string;
          societyName: string;
          cars: { totalCount: number; edges: { node: { id: string; createdAt: string } }[] };
        };
      }[];
      pageInfo: { hasNextPage: boolean };
    };
  }>(COMPOSITION, { society, first: PAGE });
  if (costCenters.pageInfo.hasNextPage)
    throw new Error('a society has over 100 cost centers: the composition would need more pages');
  // The owner's filter is a substring match: keep the exact society only.
  const exact = costCenters.edges
    .map((edge) => edge.node)
    .filter((node) => node.societyName.toLowerCase() === society.toLowerCase());
  const cars = exact.flatMap((node) => node.cars.edges.map((edge) => edge.node));
  cars.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return {
    totalCount: exact.reduce((sum, node) => sum + node.cars.totalCount, 0),
    ids: cars.slice(0, PAGE).map((car) => car.id),
  };
}

async function measureQueries(
  client: AdminClient,
  db: pg.Client,
  centers: string[],
  carCount: number,
  queries: number,
): Promise<QueryResult> {
  // Cars straight into the car schema (10k mutations would take minutes), each with its own creation time.
  await db.query(
    `INSERT INTO car.car (id, brand, model, cost_center_id, created_at, updated_at, revision)
     SELECT gen_random_uuid(), (ARRAY['Renault','Peugeot','Citroen','Toyota','Tesla'])[1 + i % 5], 'Bench ' || i,
            ($1::uuid[])[1 + (i * 7919) % cardinality($1::uuid[])],
            timestamptz '2026-01-01' + i * interval '1 second', now(), 1
       FROM generate_series(0, $2::int - 1) AS i`,
    [centers, carCount],
  );
  await db.query('ANALYZE car.car');
  const readModelMs: number[] = [];
  const compositionMs: number[] = [];
  const counts: number[] = [];
  const timed = async <T>(work: () => Promise<T>, into: number[]): Promise<T> => {
    const begin = performance.now();
    const result = await work();
    into.push(performance.now() - begin);
    return result;
  };
  // Warm-up: plans and connections, unrecorded.
  for (const society of SOCIETIES.slice(0, 5))
    await Promise.all([readModel(client, society), composition(client, society)]);
  const loadAverageBefore = loadAverage();
  for (let i = 0; i < queries; i++) {
    const society = SOCIETIES[i % SOCIETIES.length]!;
    const first = i % 2 === 0;
    const a = first
      ? await timed(() => readModel(client, society), readModelMs)
      : await timed(() => composition(client, society), compositionMs);
    const b = first
      ? await timed(() => composition(client, society), compositionMs)
      : await timed(() => readModel(client, society), readModelMs);
    const [fromReplica, composed] = first ? [a, b] : [b, a];
    if (fromReplica.totalCount !== composed.totalCount || fromReplica.ids.join() !== composed.ids.join()) {
      throw new Error(
        `the read model and the composition disagree for ${society}: ${JSON.stringify({ fromReplica, composed })}`,
      );
    }
    counts.push(fromReplica.totalCount);
  }
  return {
    cars: carCount,
    costCenters: centers.length,
    societies: SOCIETIES.length,
    queries,
    readModelMs: quantiles(readModelMs),
    compositionMs: quantiles(compositionMs),
    carsPerSociety: { min: Math.min(...counts), max: Math.max(...counts) },
    loadAverageBefore,
    loadAverageAfter: loadAverage(),
  };
}

async function runMode(
  mode: Mode,
  options: {
    postgresAdminUrl: string;
    rate: number;
    updates: number;
    cars: number;
    queries: number;
    log: (line: string) => void;
  },
): Promise<{ lag: ModeResult; query: QueryResult | null }> {
  const run = randomUUID().slice(0, 8).toUpperCase();
  const exchange = `car-check.events.bench-${run}`;
  const queue = `car-check.cost-center-replica.bench-${run}`;
  if (mode === 'amqp') {
    await withAmqp(async (channel) => {
      await channel.assertExchange(exchange, 'topic', { durable: true });
      await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, exchange, 'cost-center.*');
    });
  }
  const graph = new BenchGraph({
    postgresAdminUrl: options.postgresAdminUrl,
    log: options.log,
    serviceEnv: mode === 'amqp' ? { AMQP_URL, EVENTS_EXCHANGE: exchange, EVENTS_QUEUE: queue } : {},
    onUnexpectedExit: (service, how) => {
      options.log(`the ${service} service exited on its own (${how})`);
      process.exitCode = 1;
    },
  });
  let sql: pg.Client | null = null;
  try {
    await graph.start();
    const client = new AdminClient(`${graph.url('gateway')}/graphql`);
    await client.login();
    sql = new pg.Client({ connectionString: graph.databaseUrl });
    await sql.connect();
    options.log(`${mode}: graph up on ${graph.backend}; creating ${CENTERS} cost centers through the gateway`);
    const centers = await createCostCenters(client, sql, run);
    options.log(`${mode}: ${options.updates} updates at ${options.rate}/s through the gateway...`);
    const loadAverageBefore = loadAverage();
    const { lag, write } = await measureLag(client, sql, run, centers, options.rate, options.updates);
    const lagResult: ModeResult = {
      mode,
      rate: options.rate,
      updates: options.updates,
      lagMs: quantiles(lag),
      writeMs: quantiles(write),
      loadAverageBefore,
      loadAverageAfter: loadAverage(),
    };
    let query: QueryResult | null = null;
    if (mode === 'feed') {
      options.log(`${mode}: ${options.cars} cars; ${options.queries} queries each way, interleaved...`);
      query = await measureQueries(client, sql, centers, options.cars, options.queries);
    }
    return { lag: lagResult, query };
  } finally {
    await sql?.end().catch(() => undefined);
    await graph.stop();
    if (mode === 'amqp') {
      await withAmqp(async (channel) => {
        await channel.deleteQueue(queue);
        await channel.deleteExchange(exchange);
      }).catch((error: unknown) => options.log(`could not delete ${queue} / ${exchange}: ${String(error)}`));
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '20' },
      updates: { type: 'string', default: '500' },
      cars: { type: 'string', default: '10000' },
      queries: { type: 'string', default: '100' },
    },
  });
  const rate = Number(values.rate);
  const updates = Number(values.updates);
  const cars = Number(values.cars);
  const queries = Number(values.queries);
  if (!(rate > 0 && rate <= 200)) throw new Error('--rate must be in (0, 200]');
  if (!(Number.isInteger(updates) && updates >= 10 && updates <= CENTERS))
    throw new Error(`--updates must be an integer in [10, ${CENTERS}] (one per cost center)`);
  if (!(Number.isInteger(cars) && cars >= 1000 && cars <= 1_000_000))
    throw new Error('--cars must be an integer in [1000, 1000000]');
  if (!(Number.isInteger(queries) && queries >= 10 && queries <= 10_000))
    throw new Error('--queries must be an integer in [10, 10000]');
  const postgresAdminUrl = benchPostgresAdminUrl();
  const began = performance.now();
  // Progress lines carry the time since the start; the results table is printed as it is.
  const log = (line: string) =>
    console.log(
      line === '' || line.startsWith(' ')
        ? line
        : `[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}`,
    );
  const startedAt = new Date();
  log(
    `bench:events on PostgreSQL (${new URL(postgresAdminUrl).host}) and RabbitMQ (${new URL(AMQP_URL).host}); ${os.cpus().length} cores, load average ${loadAverage().join(' ')}`,
  );

  const results: { lag: ModeResult[]; query: QueryResult | null } = { lag: [], query: null };
  for (const mode of ['feed', 'amqp'] as const) {
    const { lag, query } = await runMode(mode, { postgresAdminUrl, rate, updates, cars, queries, log });
    results.lag.push(lag);
    results.query ??= query;
  }

  log('');
  log(`Lag from a cost-center write to the car replica, ${updates} updates at ${rate}/s through the gateway (ms):`);
  log(header('ms'));
  for (const each of results.lag) {
    log(
      row(
        `${each.mode === 'feed' ? 'embedded feed (EVENTS_POLL_MS 500)' : 'RabbitMQ (relay poll 200 ms)'}: lag`,
        each.lagMs,
      ),
    );
    log(row(`${each.mode === 'feed' ? 'embedded feed' : 'RabbitMQ'}: the update mutation itself`, each.writeMs));
    log(`  ${''.padEnd(44)} load average ${each.loadAverageBefore.join(' ')} -> ${each.loadAverageAfter.join(' ')}`);
  }
  const q = results.query!;
  log('');
  log(
    `First page (${PAGE}) and totalCount of a society's cars, ${q.cars} cars, ${q.costCenters} cost centers, ${q.societies} societies (${q.carsPerSociety.min}-${q.carsPerSociety.max} cars each), ${q.queries} queries each, interleaved (ms):`,
  );
  log(header('ms'));
  log(row('cars(filter: { societyName }) (read model)', q.readModelMs));
  log(row('API composition (cost centers + their cars)', q.compositionMs));
  log(`  ${''.padEnd(44)} load average ${q.loadAverageBefore.join(' ')} -> ${q.loadAverageAfter.join(' ')}`);
  log(
    `  read model: ${(q.compositionMs.p50 / q.readModelMs.p50).toFixed(1)}x faster at p50, ${(q.compositionMs.p99 / q.readModelMs.p99).toFixed(1)}x at p99`,
  );

  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'latest-events.json');
  await writeFile(
    file,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), cores: os.cpus().length, ...results }, null, 2)}\n`,
  );
  log(`results: ${path.relative(process.cwd(), file)}; ${((performance.now() - began) / 1000).toFixed(0)} s in all`);
}

main().catch((error: unknown) => {
  console.error(`bench:events failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
