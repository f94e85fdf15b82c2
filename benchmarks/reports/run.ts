/**
 * `npm run bench:reports [-- --cars 100000 --rounds 5 --reports 20]`
 *
 * What the report subgraph's read model buys a frontend, on PostgreSQL, the production database:
 * `--cars` cars (plus the 40 of the demo) over 200 cost centers in 20 societies, 6 managers, 8
 * brands and 6 models, then grouped fleet reports, each answered in one query through the gateway:
 * cars per SOCIETY, per COST_CENTER, per BRAND and MODEL, per MANAGER, and per SOCIETY as of a past
 * instant (when about half the cars existed). Against them, the best API composition a client can do
 * without the report: every car paged through the gateway at the largest page the graph allows,
 * with its cost center's society and manager, grouped on the client (one composition answers every
 * grouping; none answers a past instant, the owners keep no such history: its row compares the
 * historical report with today's composition).
 *
 * The cost centers are created through the gateway. The cars are inserted straight into the car
 * subgraph's database (100,000 mutations would take most of an hour), each with the audit record a
 * `createCar` writes in the same transaction (the audit record is the outbox), in forty
 * transactions under the lock that keeps the feed in commit order: the report subgraph receives
 * them as events through its normal consumer. The benchmark waits until the report's freshness
 * covers the last one and it counts every car, then measures `--rounds` rounds, each one
 * composition and then `--reports` of each report, sent one at a time, in a rotating order. Each
 * composition's groups must equal the report's, or the benchmark fails.
 *
 * One graph of its own (five processes, a fresh database dropped at the end). Prints the figures
 * side by side with their ratios, the machine and the load average; writes
 * benchmarks/results/latest-reports.json. `--cars 2000 --rounds 2 --reports 5` is a quick smoke.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import {
  groupSizes,
  LARGEST_CARS_PAGE,
  readFleetReport,
  readOwnedCars,
  reportedSizes,
  type FleetReportArguments,
  type ReportedFleet,
} from '@car-check/test-support/fleetFigures';
import { BenchGraph } from '../graph/graph';
import { AdminClient } from '../lib/adminClient';
import { benchPostgresAdminUrl } from '../lib/postgres';
import { integerOption, pool, progressLog } from '../lib/runLog';
import { loadAverage, quantiles, sleep, type Quantiles } from '../lib/stats';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const SOCIETIES = Array.from({ length: 20 }, (_, i) => `Bench Society ${String(i + 1).padStart(2, '0')}`);
const CENTERS = 200;
const BRANDS = ['Renault', 'Peugeot', 'Citroen', 'Toyota', 'Tesla', 'Volkswagen', 'Dacia', 'Skoda'];
const MODELS = 6;
/**
 * Transactions the cars are inserted in. Each commits its cars at one instant, and the report
 * checkpoints every 5,000 car versions (readModel/checkpoints.ts): with 40 batches of 2,500 cars
 * (at 100,000), a checkpoint falls on every other batch, and the past instant (after batch 21 of
 * 40) is half an interval past one, the average case, not one that a checkpoint answers alone.
 */
const BATCHES = 40;
/**
 * How long the report may take to take in `cars` cars: 10 ms a car, at least 10 minutes. It applies
 * a page of the feed per transaction (docs/reports.md): about 300 events a second on a 2-core
 * machine at load average 25 (5,000 cars), so 100 a second leaves a wide margin. (Applying one
 * event per transaction, it took about 25 a second: 20,000 cars in 13.5 minutes.)
 */
const convergedMs = (cars: number) => Math.max(600_000, cars * 10);
const TARGET_RATIO = 10;
const TARGET_P99_MS = 50;
/** The largest page of groups the API gives (docs/reports.md): a whole report in one query. */
const GROUPS_PAGE = 1000;
// Every active user but the admin manages cost centers.
const managers = seedUsers.filter((user) => user.isActive && user.username !== 'admin').map((user) => user.id);

interface Measured {
  label: string;
  ms: Quantiles;
  /** Composition p50 / this p50, and p99 / p99. */
  fasterAtP50: number;
  fasterAtP99: number;
}

const fmt = (value: number, width = 9) => value.toFixed(1).padStart(width);

/** Creates the cost centers through the gateway, spread over the societies and managers. */
async function createCostCenters(client: AdminClient, run: string): Promise<string[]> {
  const ids = new Array<string>(CENTERS);
  await pool(
    Array.from({ length: CENTERS }, (_, i) => i),
    4,
    async (i) => {
      const data = await client.send<{ createCostCenter: { id: string } }>(
        `mutation($code: String!, $name: String!, $m: ID!) { createCostCenter(input: { code: $code, societyName: $name, managerId: $m }) { id } }`,
        { code: `BR-${run}-${i}`, name: SOCIETIES[i % SOCIETIES.length], m: managers[i % managers.length] },
      );
      ids[i] = data.createCostCenter.id;
    },
  );
  return ids;
}

/**
 * Inserts cars `from` to `to` - 1 into the car schema with their CREATE audit records (the
 * events), in one transaction under the advisory lock recordAudit takes, so that the feed stays
 * in commit order while the car subgraph runs. `changes` is what `createCar` records: each field
 * it was created with, values as JSON text, sorted by field.
 */
async function insertCars(db: pg.Client, centers: string[], run: string, from: number, to: number): Promise<void> {
  await db.query('BEGIN');
  try {
    await db.query(`SELECT pg_advisory_xact_lock('car.audit_event'::regclass::oid::bigint)`);
    await db.query(
      `WITH created AS (
         INSERT INTO car.car (id, brand, model, cost_center_id, created_at, updated_at, revision)
         SELECT gen_random_uuid(), ($1::text[])[1 + i % cardinality($1::text[])],
                'M' || (1 + (i / cardinality($1::text[])) % $2::int),
                ($3::uuid[])[1 + (i * 7919) % cardinality($3::uuid[])], now(), now(), 1
           FROM generate_series($4::int, $5::int - 1) AS i
          ORDER BY i
         RETURNING id, brand, model, cost_center_id
       )
       INSERT INTO car.audit_event (id, entity, entity_id, action, actor_id, request_id, changes, revision)
       SELECT gen_random_uuid(), 'Car', id, 'CREATE', 'service:bench-reports', 'bench-reports-' || $6::text,
              jsonb_build_array(
                jsonb_build_object('field', 'brand', 'from', null, 'to', to_jsonb(brand)::text),
                jsonb_build_object('field', 'costCenterId', 'from', null, 'to', to_jsonb(cost_center_id::text)::text),
                jsonb_build_object('field', 'model', 'from', null, 'to', to_jsonb(model)::text)),
              1
         FROM created`,
      [BRANDS, MODELS, centers, from, to, run],
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

interface FreshnessAnswer {
  fleetReport: {
    totalCars: number;
    freshness: { asOf: string | null; positions: { owner: string; sequence: number | null }[] };
  };
}

/** Waits until the report's freshness covers `since` and it counts `cars` cars; returns how long it took. */
async function waitForReport(
  client: AdminClient,
  since: Date,
  cars: number,
  log: (line: string) => void,
): Promise<number> {
  const began = performance.now();
  let lastLog = began;
  for (;;) {
    const { fleetReport } = await client.send<FreshnessAnswer>(
      `{ fleetReport(groupBy: []) { totalCars freshness { asOf positions { owner sequence } } } }`,
    );
    const asOf = fleetReport.freshness.asOf;
    if (asOf !== null && Date.parse(asOf) >= since.getTime() && fleetReport.totalCars === cars)
      return performance.now() - began;
    if (performance.now() - began > convergedMs(cars))
      throw new Error(`the report did not take in ${cars} cars within ${convergedMs(cars) / 1000} s`);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      const positions = fleetReport.freshness.positions.map((each) => `${each.owner} ${each.sequence}`).join(', ');
      log(`  report: ${fleetReport.totalCars} of ${cars} cars, freshness ${asOf ?? 'none'} (${positions})`);
    }
    await sleep(200);
  }
}

interface ReportKind {
  label: string;
  args: FleetReportArguments;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cars: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '5' },
      reports: { type: 'string', default: '20' },
    },
  });
  const cars = integerOption(values, 'cars', 1000, 1_000_000);
  const rounds = integerOption(values, 'rounds', 1, 100);
  const reportsPerRound = integerOption(values, 'reports', 1, 1000);
  const postgresAdminUrl = benchPostgresAdminUrl();
  const began = performance.now();
  const log = progressLog(began);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`bench:reports at ${commit} on ${machine}; load average ${loadAverage().join(' ')}`);

  const run = Math.random().toString(36).slice(2, 8).toUpperCase();
  const graph = new BenchGraph({
    postgresAdminUrl,
    log,
    onUnexpectedExit: (service, how) => {
      log(`the ${service} service exited on its own (${how})`);
      process.exitCode = 1;
    },
  });
  // The services run in process groups of their own: a Ctrl-C reaches only this process, which stops them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, () => void graph.stop().finally(() => process.exit(130)));
  let db: pg.Client | null = null;
  try {
    await graph.start();
    log(`graph up on ${graph.backend}`);
    const client = new AdminClient(`${graph.url('gateway')}/graphql`);
    await client.login();
    db = new pg.Client({ connectionString: graph.databaseUrl });
    await db.connect();
    const demoCars = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM car.car')).rows[0]!.n;

    log(`creating ${CENTERS} cost centers through the gateway`);
    const centers = await createCostCenters(client, run);
    log(`inserting ${cars} cars with their events, in ${BATCHES} transactions`);
    const insertStarted = performance.now();
    const perBatch = Math.ceil(cars / BATCHES);
    let pastInstant = '';
    let carsAtPastInstant = 0;
    for (let batch = 0; batch < BATCHES; batch++) {
      const from = batch * perBatch;
      const to = Math.min(cars, from + perBatch);
      if (from >= to) break;
      await insertCars(db, centers, run, from, to);
      if (batch === BATCHES / 2) {
        // Between two batches: the report as of this instant counts the demo's cars and these.
        await sleep(5);
        pastInstant = new Date().toISOString();
        carsAtPastInstant = demoCars + to;
        await sleep(5);
      }
    }
    const insertedAt = new Date();
    const insertMs = performance.now() - insertStarted;
    await db.query('ANALYZE car.car');
    log(`inserted in ${(insertMs / 1000).toFixed(1)} s; waiting for the report to take them in`);
    const convergeMs = await waitForReport(client, insertedAt, demoCars + cars, log);
    log(`the report counts all ${demoCars + cars} cars, ${(convergeMs / 1000).toFixed(1)} s after the last insert`);
    // The inserts take seconds and the consumers read while they run: ingest spans both.
    const ingestPerSecond = cars / ((insertMs + convergeMs) / 1000);
    log(`ingest: ${ingestPerSecond.toFixed(0)} events/s (${cars} car events, first insert to counted)`);

    const kinds: ReportKind[] = [
      { label: 'fleetReport SOCIETY', args: { groupBy: ['SOCIETY'] } },
      { label: 'fleetReport COST_CENTER', args: { groupBy: ['COST_CENTER'] } },
      { label: 'fleetReport BRAND, MODEL', args: { groupBy: ['BRAND', 'MODEL'] } },
      { label: 'fleetReport MANAGER', args: { groupBy: ['MANAGER'] } },
      { label: 'fleetReport SOCIETY asOf (past)', args: { groupBy: ['SOCIETY'], asOf: pastInstant } },
    ];
    const send = <Data>(query: string, variables: Record<string, unknown>) => client.send<Data>(query, variables);
    const timed = async <T>(work: () => Promise<T>, into: number[]): Promise<T> => {
      const start = performance.now();
      const result = await work();
      into.push(performance.now() - start);
      return result;
    };

    // Warm-up: plans, caches and connections, unrecorded.
    for (const kind of kinds) await readFleetReport(send, kind.args, GROUPS_PAGE);
    await readOwnedCars(send);

    const reportMs = kinds.map(() => [] as number[]);
    const compositionMs: number[] = [];
    const loadAverageBefore = loadAverage();
    log(`${rounds} rounds: one composition, then ${reportsPerRound} of each report`);
    for (let round = 0; round < rounds; round++) {
      const composed = await timed(async () => {
        const owned = await readOwnedCars(send);
        return kinds.map((kind) => groupSizes(owned, kind.args.groupBy));
      }, compositionMs);
      const last: ReportedFleet[] = [];
      for (let repeat = 0; repeat < reportsPerRound; repeat++) {
        for (let step = 0; step < kinds.length; step++) {
          const index = (repeat + step) % kinds.length;
          last[index] = await timed(() => readFleetReport(send, kinds[index]!.args, GROUPS_PAGE), reportMs[index]!);
        }
      }
      // Both answer the same question: today's reports must equal the composition.
      kinds.forEach((kind, index) => {
        if (kind.args.asOf) return;
        if (JSON.stringify(reportedSizes(last[index]!)) !== JSON.stringify(composed[index]))
          throw new Error(`${kind.label} differs from the composition of the owners' data`);
      });
      const past = last[kinds.length - 1]!;
      if (past.totalCars !== carsAtPastInstant)
        throw new Error(`the report as of ${pastInstant} counts ${past.totalCars} cars, not ${carsAtPastInstant}`);
      log(`  round ${round + 1}: composition ${(compositionMs.at(-1)! / 1000).toFixed(2)} s`);
    }
    const loadAverageAfter = loadAverage();

    const composition = quantiles(compositionMs);
    const measured: Measured[] = kinds.map((kind, index) => {
      const ms = quantiles(reportMs[index]!);
      return { label: kind.label, ms, fasterAtP50: composition.p50 / ms.p50, fasterAtP99: composition.p99 / ms.p99 };
    });
    const pages = Math.ceil((demoCars + cars) / LARGEST_CARS_PAGE);

    log('');
    log(
      `Grouped fleet figures, ${demoCars + cars} cars, ${CENTERS} cost centers, ${SOCIETIES.length} societies, ${managers.length} managers, ${BRANDS.length} brands x ${MODELS} models (ms):`,
    );
    log(
      `  ${''.padEnd(44)} ${'count'.padStart(6)} ${'p50'.padStart(9)} ${'p90'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}   ${'faster p50'.padStart(10)} ${'faster p99'.padStart(10)}`,
    );
    for (const each of measured)
      log(
        `  ${each.label.padEnd(44)} ${String(each.ms.count).padStart(6)} ${fmt(each.ms.p50)} ${fmt(each.ms.p90)} ${fmt(each.ms.p99)} ${fmt(each.ms.max)}   ${`${each.fasterAtP50.toFixed(0)}x`.padStart(10)} ${`${each.fasterAtP99.toFixed(0)}x`.padStart(10)}`,
      );
    log(
      `  ${`API composition (${pages} pages of ${LARGEST_CARS_PAGE})`.padEnd(44)} ${String(composition.count).padStart(6)} ${fmt(composition.p50)} ${fmt(composition.p90)} ${fmt(composition.p99)} ${fmt(composition.max)}`,
    );
    log(`  ${''.padEnd(44)} load average ${loadAverageBefore.join(' ')} -> ${loadAverageAfter.join(' ')}`);
    log(`  the past instant: ${pastInstant} (${carsAtPastInstant} cars); the composition has no past instant`);
    const met = measured.every((each) => each.fasterAtP50 >= TARGET_RATIO && each.ms.p99 < TARGET_P99_MS);
    log(
      `  target (every report at least ${TARGET_RATIO}x faster than the composition at p50, p99 under ${TARGET_P99_MS} ms): ${met ? 'met' : 'MISSED'}`,
    );

    await mkdir(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, 'latest-reports.json');
    await writeFile(
      file,
      `${JSON.stringify(
        {
          commit,
          machine,
          at: new Date().toISOString(),
          cars: demoCars + cars,
          costCenters: CENTERS,
          rounds,
          reportsPerRound,
          insertMs,
          convergeMs,
          ingestPerSecond,
          pastInstant,
          carsAtPastInstant,
          reports: measured,
          compositionMs: composition,
          loadAverageBefore,
          loadAverageAfter,
        },
        null,
        2,
      )}\n`,
    );
    log(`results: ${path.relative(process.cwd(), file)}; ${((performance.now() - began) / 1000).toFixed(0)} s in all`);
  } finally {
    await db?.end().catch(() => undefined);
    await graph.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:reports failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
