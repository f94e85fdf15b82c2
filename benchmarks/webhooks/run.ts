/**
 * `npm run bench:webhooks [-- --endpoints 20 --rate 50 --seconds 60 --modes feed,amqp]`
 *
 * What a webhook integrator sees, on PostgreSQL, with the feed and then with RabbitMQ:
 * `--endpoints` endpoints subscribed to `car.updated`, one of which answers only after 5 s
 * and one of which is down (nothing listens on its port); `--rate` car updates a second
 * through the gateway (open loop, over the 40 demo cars) for `--seconds`. For the healthy
 * endpoints it reports the time from commit (the event's `time`, the owner's audit record)
 * to the endpoint receiving it, p50/p90/p99/max over every (endpoint, event) pair, and checks
 * that each healthy endpoint received every event (nothing lost); for the slow and the dead
 * one, how many they got and how many wait in the delivery log. Each mode runs on a graph of
 * its own (five processes, a fresh database dropped at the end; with RabbitMQ an exchange and
 * queues of the run's own, deleted at the end). Prints the figures with the machine and the
 * load average; writes benchmarks/results/latest-webhooks.json.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { seedCars } from '@car-check/subgraph-kit/demo';
import { BenchGraph } from '../graph/graph';
import { AdminClient } from '../lib/adminClient';
import { AMQP_URL, withAmqp } from '../lib/amqp';
import { benchPostgresAdminUrl } from '../lib/postgres';
import { freePort } from '../lib/processGraph';
import { loadAverage, quantiles, sleep, type Quantiles } from '../lib/stats';

const RESULTS_DIR = path.resolve(__dirname, '..', 'results');
const CONVERGED_MS = 180_000;
const SLOW_ANSWER_MS = 5_000;
const OWNERS = ['car', 'cost-center', 'user'];

type Mode = 'feed' | 'amqp';
interface ModeResult {
  mode: Mode;
  events: number;
  healthyEndpoints: number;
  /** Commit (event time) to receipt at a healthy endpoint, ms, first receipt of each (endpoint, event). */
  commitToDeliveryMs: Quantiles;
  /** Healthy endpoints that received every event. */
  healthyComplete: number;
  duplicates: number;
  slow: { received: number; pending: number };
  down: { received: number; pending: number };
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

/** A receiver: records the first receipt time of each event id; answers after `delayMs`. */
class Receiver {
  readonly firstSeen = new Map<string, { at: number; time: number }>();
  received = 0;
  private server?: http.Server;
  constructor(private readonly delayMs = 0) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const at = Date.now();
        this.received += 1;
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; time: string };
        if (!this.firstSeen.has(event.id)) this.firstSeen.set(event.id, { at, time: Date.parse(event.time) });
        setTimeout(() => res.writeHead(204).end(), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/hook`;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function runMode(
  mode: Mode,
  options: { postgresAdminUrl: string; endpoints: number; rate: number; seconds: number; log: (line: string) => void },
): Promise<ModeResult> {
  const run = randomUUID().slice(0, 8);
  const exchange = `car-check.events.bench-webhooks-${run}`;
  const queue = `car-check.bench-webhooks-${run}`;
  const graph = new BenchGraph({
    postgresAdminUrl: options.postgresAdminUrl,
    log: options.log,
    serviceEnv: mode === 'amqp' ? { AMQP_URL, EVENTS_EXCHANGE: exchange, EVENTS_QUEUE: queue } : {},
    onUnexpectedExit: (service, how) => options.log(`${service} exited unexpectedly (${how})`),
  });
  const healthy = Array.from({ length: options.endpoints - 2 }, () => new Receiver());
  const slow = new Receiver(SLOW_ANSWER_MS);
  try {
    await graph.start();
    const client = new AdminClient(`${graph.url('gateway')}/graphql`);
    await client.login();
    const downUrl = `http://127.0.0.1:${await freePort()}/hook`;
    const urls = [...(await Promise.all(healthy.map((each) => each.start()))), await slow.start(), downUrl];
    const endpointIds: string[] = [];
    for (const url of urls) {
      const data = await client.send<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
        `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, eventTypes: ["car.updated"] }) { endpoint { id } } }`,
        { url },
      );
      endpointIds.push(data.createWebhookEndpoint.endpoint.id);
    }
    const [slowId, downId] = endpointIds.slice(-2);
    await sleep(2_000);
    const loadAverageBefore = loadAverage();
    const total = options.rate * options.seconds;
    options.log(`${mode}: ${total} car updates at ${options.rate}/s to ${urls.length} endpoints`);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        await sleep(Math.max(0, started + (i * 1000) / options.rate - performance.now()));
        const car = seedCars[i % seedCars.length]!;
        await client.send(`mutation($id: ID!, $v: String!) { updateCar(id: $id, input: { version: $v }) { id } }`, {
          id: car.id,
          v: `bench ${run} ${i}`,
        });
      }),
    );
    const deadline = Date.now() + CONVERGED_MS;
    while (healthy.some((each) => each.firstSeen.size < total) && Date.now() < deadline) await sleep(200);
    const loadAverageAfter = loadAverage();
    const samples = healthy.flatMap((each) => [...each.firstSeen.values()].map(({ at, time }) => at - time));
    const db = new pg.Client({ connectionString: graph.databaseUrl });
    await db.connect();
    const pending = async (id: string) =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook.webhook_delivery WHERE endpoint_id = $1 AND status = 'PENDING'`,
          [id],
        )
      ).rows[0]!.n;
    const result: ModeResult = {
      mode,
      events: total,
      healthyEndpoints: healthy.length,
      commitToDeliveryMs: quantiles(samples),
      healthyComplete: healthy.filter((each) => each.firstSeen.size >= total).length,
      duplicates: healthy.reduce((sum, each) => sum + each.received - each.firstSeen.size, 0),
      slow: { received: slow.received, pending: await pending(slowId!) },
      down: { received: 0, pending: await pending(downId!) },
      loadAverageBefore,
      loadAverageAfter,
    };
    await db.end();
    return result;
  } finally {
    await graph.stop();
    await Promise.all([...healthy, slow].map((each) => each.stop()));
    if (mode === 'amqp') {
      await withAmqp(async (channel) => {
        for (const owner of OWNERS) await channel.deleteQueue(`${queue}.webhook-${owner}`);
        await channel.deleteQueue(queue);
        await channel.deleteExchange(exchange);
      }).catch((error: unknown) => options.log(`could not delete the run's queues: ${String(error)}`));
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoints: { type: 'string', default: '20' },
      rate: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '60' },
      modes: { type: 'string', default: 'feed,amqp' },
    },
  });
  const postgresAdminUrl = benchPostgresAdminUrl();
  const log = (line: string) => console.log(line);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`bench:webhooks at ${commit} on ${machine}; load average ${loadAverage().join(' ')}`);
  const results: ModeResult[] = [];
  for (const mode of values.modes.split(',') as Mode[]) {
    results.push(
      await runMode(mode, {
        postgresAdminUrl,
        endpoints: Number(values.endpoints),
        rate: Number(values.rate),
        seconds: Number(values.seconds),
        log,
      }),
    );
  }
  for (const result of results) {
    const q = result.commitToDeliveryMs;
    log(
      `${result.mode.padEnd(5)} commit→delivery (healthy, ms): p50 ${q.p50} p90 ${q.p90} p99 ${q.p99} max ${q.max} over ${q.count}; ` +
        `${result.healthyComplete}/${result.healthyEndpoints} healthy endpoints got all ${result.events} events (${result.duplicates} duplicates); ` +
        `slow endpoint got ${result.slow.received} (${result.slow.pending} pending), down endpoint ${result.down.pending} pending; ` +
        `load ${result.loadAverageBefore.join(' ')} → ${result.loadAverageAfter.join(' ')}`,
    );
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(
    path.join(RESULTS_DIR, 'latest-webhooks.json'),
    `${JSON.stringify({ commit, machine, at: new Date().toISOString(), results }, null, 2)}\n`,
  );
  const lost = results.some((result) => result.healthyComplete !== result.healthyEndpoints);
  if (lost) {
    log('FAILED: a healthy endpoint is missing events');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
