/**
 * `npm run bench:load [-- --seconds 60 --concurrency 8]`
 *
 * Drives a mix of queries and mutations through the gateway while the car
 * subgraph is stopped and started again, then checks what an on-call engineer
 * would: every response was well-formed GraphQL; errors appeared only on the
 * car subgraph's fields and only while it was down; the gateway's /ready
 * recovered within 5 s of the subgraph's return; and every acknowledged
 * mutation is in the audit trail. Prints requests served, errors by code,
 * p50/p95/p99 latency and each process's peak memory.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { seedCars, seedCostCenters } from '@car-check/subgraph-kit/demo';
import { postGraphQL, type GraphQLResponse } from '@car-check/test-support/graphql';
import { ProcessGraph, type ServiceName } from './lib/processGraph';

const QUERIES = [
  '{ cars(first: 10) { totalCount edges { node { brand model costCenter { code manager { username } } } } } }',
  '{ costCenters { edges { node { code societyName manager { username } } } } }',
  '{ users(first: 5) { totalCount edges { node { username groups } } } }',
  '{ me { username managedCostCenters { code } } }',
];

interface Ack {
  carId: string;
  requestId: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '60' }, concurrency: { type: 'string', default: '8' } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  // Strict readiness, so that /ready measures when the gateway sees the car subgraph again.
  const graph = new ProcessGraph({ RATE_LIMIT_PER_MINUTE: '10000000', READY_REQUIRES_SUBGRAPHS: 'true' });
  await graph.start(async () => ({}));
  const gateway = `${graph.url('gateway')}/graphql`;
  const login = await postGraphQL<{ login: { token: string } }>(gateway, {
    query: 'mutation { login(username: "admin", password: "dev-password") { token } }',
  });
  const auth = { authorization: `Bearer ${login.data!.login.token}` };

  const latencies: number[] = [];
  const codes = new Map<string, number>();
  const violations: string[] = [];
  const acks: Ack[] = [];
  const peaks = new Map<string, number>();
  let served = 0;
  let down: { from: number; to: number } | null = null;
  const started = Date.now();
  const deadline = started + seconds * 1000;

  const samplePeaks = () => {
    for (const name of ['gateway', 'car', 'cost-center', 'user'] as ServiceName[]) {
      const pid = graph.pid(name);
      const kb = pid ? Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) : 0;
      peaks.set(name, Math.max(peaks.get(name) ?? 0, kb));
    }
  };

  const check = (response: GraphQLResponse<unknown>, sentAt: number) => {
    served += 1;
    const wellFormed = response.data !== undefined || Array.isArray(response.errors);
    if (!wellFormed) violations.push(`malformed response (HTTP ${response.status})`);
    for (const error of response.errors ?? []) {
      const code = String(error.extensions?.code ?? 'NONE');
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (typeof error.extensions?.grpcStatus !== 'number') violations.push(`error without grpcStatus: ${code}`);
      const duringOutage = down && sentAt >= down.from - 100 && sentAt <= down.to + 1_000;
      if (error.extensions?.serviceName !== 'car' || !duringOutage) {
        violations.push(`unexpected ${code} from ${String(error.extensions?.serviceName)} at +${sentAt - started} ms`);
      }
    }
  };

  const worker = async (id: number) => {
    for (let i = 0; Date.now() < deadline; i++) {
      const sentAt = Date.now();
      const requestId = `load-${id}-${i}`;
      const headers = { ...auth, 'x-request-id': requestId };
      let response: GraphQLResponse<Record<string, unknown>>;
      if (i % 4 === 3) {
        const car = seedCars[(id * 7 + i) % seedCars.length]!;
        response = await postGraphQL(
          gateway,
          {
            query: `mutation($id: ID!, $v: String) { updateCar(id: $id, input: { version: $v }) { id } }`,
            variables: { id: car.id, v: `load ${requestId}` },
          },
          headers,
        );
        if (response.data?.updateCar) acks.push({ carId: car.id, requestId });
      } else if (i % 10 === 5) {
        response = await postGraphQL(
          gateway,
          {
            query: `mutation($cc: ID!) { createCar(input: { brand: "Load", model: "${requestId}", costCenterId: $cc }) { id } }`,
            variables: { cc: seedCostCenters[i % seedCostCenters.length]!.id },
          },
          headers,
        );
        const created = response.data?.createCar as { id: string } | undefined;
        if (created) acks.push({ carId: created.id, requestId });
      } else {
        response = await postGraphQL(gateway, { query: QUERIES[i % QUERIES.length]! }, headers);
      }
      latencies.push(Date.now() - sentAt);
      check(response, sentAt);
    }
  };

  const chaos = async () => {
    await delay(Math.min(20_000, (seconds * 1000) / 3));
    samplePeaks();
    const from = Date.now();
    down = { from, to: Number.POSITIVE_INFINITY };
    await graph.stopService('car');
    await delay(3_000);
    await graph.startService('car');
    const back = Date.now();
    down.to = back;
    while ((await fetch(`${graph.url('gateway')}/ready`)).status !== 200) await delay(50);
    return Date.now() - back;
  };

  try {
    const sampler = setInterval(samplePeaks, 1_000);
    const [recoveryMs] = await Promise.all([chaos(), ...Array.from({ length: concurrency }, (_, id) => worker(id))]);
    clearInterval(sampler);
    samplePeaks();

    // Every acknowledged write must be in its car's audit trail, tagged with its request id.
    const missing: Ack[] = [];
    for (const ack of acks) {
      const history = await postGraphQL<{ car: { history: { edges: { node: { requestId: string } }[] } } }>(
        gateway,
        {
          query: `query($id: ID!) { car(id: $id) { history(first: 100) { edges { node { requestId } } } } }`,
          variables: { id: ack.carId },
        },
        auth,
      );
      if (!history.data?.car.history.edges.some((edge) => edge.node.requestId === ack.requestId)) missing.push(ack);
    }

    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    console.log(`\nLoad: ${seconds} s, ${concurrency} clients, car subgraph stopped for 3 s and started again\n`);
    console.log(`requests served          ${served} (${(served / seconds).toFixed(0)}/s)`);
    console.log(
      `latency ms               p50 ${at(0.5)}  p95 ${at(0.95)}  p99 ${at(0.99)}  max ${latencies.at(-1) ?? 0}`,
    );
    console.log(
      `errors by code           ${codes.size ? [...codes].map(([code, n]) => `${code}=${n}`).join('  ') : 'none'}`,
    );
    console.log(`gateway /ready recovered ${recoveryMs} ms after the car subgraph was back (must be <= 5000)`);
    console.log(`acknowledged mutations   ${acks.length}, missing from the audit trail: ${missing.length}`);
    console.log(
      `peak memory (VmHWM)      ${[...peaks].map(([name, kb]) => `${name} ${(kb / 1024).toFixed(0)} MiB`).join('  ')}`,
    );
    console.log(
      `violations               ${violations.length ? `${violations.length}, e.g. ${violations.slice(0, 3).join('; ')}` : 'none'}`,
    );
    const ok = violations.length === 0 && missing.length === 0 && recoveryMs <= 5_000;
    console.log(`\n${ok ? 'PASS' : 'FAIL'}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await graph.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
