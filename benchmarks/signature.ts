/**
 * `npm run bench:signature [-- --iterations 20000]`
 *
 * What signing a subgraph request (gateway, peers) and verifying it (every
 * subgraph) costs per request, in process: a typical gateway→subgraph POST
 * (an `_entities` query) and an event-feed GET. Prints, per request, the CPU
 * time (user + system: what it takes from the process, and much less
 * disturbed by other processes on a busy machine than wall time) and the
 * wall-clock mean, of signing alone and of signing plus verifying.
 */
import { parseArgs } from 'node:util';
import { ANONYMOUS, type CallerIdentity, signRequest, verifySignedRequest } from '@car-check/service-kit';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
const iterations = Number(values.iterations);

const secret = Buffer.from('b'.repeat(64));
const caller: CallerIdentity = {
  ...ANONYMOUS,
  userId: '6f1c2f4e-0000-4000-8000-000000000001',
  scopes: ['car:read', 'car:write', 'cost-center:read', 'user:read'],
  tokenId: 't-1',
  clientIp: '127.0.0.1',
};
const query = `query Op__car__0($representations: [_Any!]!) { _entities(representations: $representations) { ... on CostCenter { cars(first: 20) { totalCount edges { node { id brand model licensePlate revision } } } } } }`;
const body = JSON.stringify({
  query,
  variables: { representations: [{ __typename: 'CostCenter', id: '6f1c2f4e-0000-4000-8000-000000000002' }] },
});

interface Cost {
  cpuUs: number;
  wallUs: number;
}

/** Mean cost per iteration of `step`, in CPU and wall-clock microseconds. */
async function costOf(count: number, step: (i: number) => Promise<unknown>): Promise<Cost> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) await step(i);
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / count, wallUs: ((performance.now() - started) * 1000) / count };
}

async function measure(method: 'POST' | 'GET', target: string, payload: string, count: number) {
  const sign = (i: number) =>
    signRequest(caller, { method, url: target, body: payload }, secret, {
      audience: 'car',
      requestId: `r-${i}`,
      deadline: Date.now() + 5_000,
    });
  const received = { method, target, body: Buffer.from(payload) };
  return {
    sign: await costOf(count, sign),
    signAndVerify: await costOf(count, async (i) =>
      verifySignedRequest(await sign(i), received, secret, { audience: 'car', maxAgeMs: 30_000 }),
    ),
  };
}

async function main() {
  await measure('POST', '/graphql', body, Math.min(2_000, iterations)); // warm-up: JIT, the key cache
  const cases = [
    [`POST /graphql, ${body.length} B body`, await measure('POST', '/graphql', body, iterations)],
    ['GET /events, no body', await measure('GET', '/events?after=120&limit=100', '', iterations)],
  ] as const;
  const fmt = (cost: Cost) => `${cost.cpuUs.toFixed(1)} µs CPU (${cost.wallUs.toFixed(1)} µs wall)`;
  for (const [name, result] of cases)
    console.log(`${name}: sign ${fmt(result.sign)}; sign + verify ${fmt(result.signAndVerify)}`);
}

void main();
