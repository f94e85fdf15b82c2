/**
 * `npm run bench:signature [-- --iterations 20000]`
 *
 * What signing a subgraph request (gateway, peers) and verifying it (every
 * subgraph) costs per request, in process: a typical gateway→subgraph POST
 * (a ~600-byte GraphQL body) and a feed GET. Prints the mean and p99 in
 * microseconds of sign, verify and both, after a warm-up.
 */
import { parseArgs } from 'node:util';
import { ANONYMOUS, type CallerIdentity, signRequest, verifySignedRequest } from '../common/auth/identity';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
const iterations = Number(values.iterations);

const secret = Buffer.from('b'.repeat(64));
const caller: CallerIdentity = { ...ANONYMOUS, userId: '6f1c2f4e-0000-4000-8000-000000000001', scopes: ['car:read', 'car:write', 'cost-center:read', 'user:read'], tokenId: 't-1', clientIp: '127.0.0.1' };
const query = `query Op__car__0($representations: [_Any!]!) { _entities(representations: $representations) { ... on CostCenter { cars(first: 20) { totalCount edges { node { id brand model licensePlate revision } } } } } }`;
const body = JSON.stringify({ query, variables: { representations: [{ __typename: 'CostCenter', id: '6f1c2f4e-0000-4000-8000-000000000002' }] } });

interface Timing {
  meanUs: number;
  p99Us: number;
}
const summary = (samples: number[]): Timing => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { meanUs: sorted.reduce((sum, x) => sum + x, 0) / sorted.length, p99Us: sorted[Math.floor(sorted.length * 0.99)]! };
};

async function run(method: 'POST' | 'GET', target: string, payload: string, count: number) {
  const sign: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const headers = await signRequest(caller, { method, url: target, body: payload }, secret, { audience: 'car', requestId: `r-${i}`, deadline: Date.now() + 5_000 });
    const t1 = performance.now();
    await verifySignedRequest(headers, { method, target, body: Buffer.from(payload) }, secret, { audience: 'car', maxAgeMs: 30_000 });
    const t2 = performance.now();
    sign.push((t1 - t0) * 1000);
    verify.push((t2 - t1) * 1000);
  }
  return { sign: summary(sign), verify: summary(verify), both: summary(sign.map((s, i) => s + verify[i]!)) };
}

async function main() {
  await run('POST', '/graphql', body, Math.min(2_000, iterations)); // warm-up: JIT, key cache
  const results = {
    iterations,
    post: await run('POST', '/graphql', body, iterations),
    feedGet: await run('GET', '/events?after=120&limit=100', '', iterations),
  };
  const fmt = (t: Timing) => `mean ${t.meanUs.toFixed(1)} µs, p99 ${t.p99Us.toFixed(1)} µs`;
  for (const [name, r] of [[`POST /graphql, ${body.length} B body`, results.post], ['GET /events, no body', results.feedGet]] as const) {
    console.log(`${name}: sign ${fmt(r.sign)}; verify ${fmt(r.verify)}; both ${fmt(r.both)}`);
  }
}

void main();
