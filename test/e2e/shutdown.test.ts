import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import { freePort } from '../../benchmarks/lib/processGraph';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { waitFor } from '@car-check/test-support/waitFor';

const backend = ONE_BACKEND;
const ROOT = path.resolve(__dirname, '..', '..');
const WRITES = 5;
// Long enough that the writes are surely still in flight when the refused request is answered.
const CAR_DELAY_MS = 5_000;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { data?: { createCar?: { id: string } | null } | null; errors?: { extensions?: { code?: string } }[] };
  at: number;
}

/** POST over a keep-alive connection, as a browser or a pooled client sends it. */
function post(url: string, body: unknown, headers: Record<string, string>, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(text) as Answer['body'],
            at: performance.now(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe(`graceful shutdown (${backend})`, () => {
  let graph: TestGraph;
  let proxy: DelayProxy;
  let gateway: ChildProcess;
  let gatewayUrl: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: WRITES + 1 });

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
    proxy = new DelayProxy(graph.subgraphs.car.graphqlUrl);
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    // The gateway as production runs it: its own process, stopped by a signal.
    gateway = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'gateway/src/index.ts')], {
      cwd: ROOT,
      stdio: 'ignore',
      env: {
        ...process.env,
        ...TEST_ENV,
        LOG_LEVEL: 'silent',
        GATEWAY_PORT: String(port),
        // Far longer than the writes take: they finish on their own, nothing is cut.
        SHUTDOWN_GRACE_MS: '60000',
        // The delayed car subgraph is slow, not down: its writes must not time out.
        SUBGRAPH_TIMEOUT_MS: '60000',
        REQUEST_TIMEOUT_MS: '60000',
        CAR_SUBGRAPH_URL: await proxy.start(),
        COST_CENTER_SUBGRAPH_URL: graph.subgraphs['cost-center'].graphqlUrl,
        USER_SUBGRAPH_URL: graph.subgraphs.user.graphqlUrl,
        JWKS_URL: new URL('/.well-known/jwks.json', graph.subgraphs.user.url).toString(),
        TOKEN_STATUS_URL: new URL('/internal/token-status', graph.subgraphs.user.url).toString(),
      },
    });
    await waitForHealthy(`${gatewayUrl}/health`, 60_000);
  });
  afterAll(async () => {
    agent.destroy();
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
    await graph?.stop();
    await proxy?.stop();
  });

  it('on SIGTERM refuses new requests at once (503), answers every write in flight, commits each once, and exits 0', async () => {
    const token = await graph.login('admin');
    const auth = { authorization: `Bearer ${token}` };
    const models = Array.from({ length: WRITES }, () => `Drain-${randomUUID().slice(0, 8)}`);
    proxy.delayMs = CAR_DELAY_MS;
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    const writes = models.map((model) =>
      post(
        `${gatewayUrl}/graphql`,
        {
          query: 'mutation($input: CreateCarInput!) { createCar(input: $input) { id } }',
          variables: { input: { brand: 'Drain', model, costCenterId: seedCostCenters[0]!.id } },
        },
        { ...auth, 'idempotency-key': randomUUID() },
        agent,
      ),
    );
    await waitFor(() => proxy.pending === WRITES, 30_000, 'every write to reach the car subgraph');
    gateway.kill('SIGTERM');

    // A request after the signal is refused at once, well-formed, while the writes are still in flight.
    let refused: Answer | undefined;
    await waitFor(
      async () => {
        refused = await post(
          `${gatewayUrl}/graphql`,
          { query: '{ __typename }' },
          {},
          new http.Agent({ keepAlive: false }),
        );
        return refused.status === 503;
      },
      10_000,
      'the gateway to refuse new requests',
    );
    expect(refused!.headers['retry-after']).toEqual(expect.stringMatching(/^\d+$/));
    expect(refused!.body.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

    const answers = await Promise.all(writes);
    for (const answer of answers) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.status).toBe(200);
      expect(answer.body.data?.createCar?.id).toEqual(expect.any(String));
      // The keep-alive connection closes after this answer: the client's next request opens one elsewhere.
      expect(answer.headers.connection).toBe('close');
      expect(answer.at).toBeGreaterThan(refused!.at);
    }
    const prisma = graph.subgraphs.car.prisma as CarPrisma;
    const rows = await prisma.car.findMany({ where: { model: { in: models } } });
    expect(rows.map((row) => row.model).sort()).toEqual([...models].sort());
    expect(await prisma.auditEvent.count({ where: { entityId: { in: rows.map((row) => row.id) } } })).toBe(WRITES);
    expect(await exited).toBe(0);
  });
});
