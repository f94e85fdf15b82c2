import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../benchmarks/lib/processGraph';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import { BACKENDS } from '../support/config';
import { DelayProxy } from '../support/delayProxy';
import { startGraph, type TestGraph } from '../support/graph';
import { TEST_ENV, TEST_SEED_PASSWORD } from '../support/secrets';
import { waitFor } from '../support/waitFor';

const backend = BACKENDS.includes('postgres') ? 'postgres' : 'pglite';
const ROOT = path.resolve(__dirname, '..', '..');

describe(`graceful shutdown (${backend})`, () => {
  let graph: TestGraph;
  let proxy: DelayProxy;
  let gateway: ChildProcess;
  let gatewayUrl: string;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
    proxy = new DelayProxy(graph.subgraphs.user.graphqlUrl);
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
        CAR_SUBGRAPH_URL: graph.subgraphs.car.graphqlUrl,
        COST_CENTER_SUBGRAPH_URL: graph.subgraphs['cost-center'].graphqlUrl,
        USER_SUBGRAPH_URL: await proxy.start(),
        JWKS_URL: new URL('/.well-known/jwks.json', graph.subgraphs.user.url).toString(),
        TOKEN_STATUS_URL: new URL('/internal/token-status', graph.subgraphs.user.url).toString(),
      },
    });
    await waitForHealthy(`${gatewayUrl}/health`, 30_000);
  });
  afterAll(async () => {
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
    await graph?.stop();
    await proxy?.stop();
  });

  it('on SIGTERM stops accepting, finishes the request in flight, and exits 0', async () => {
    proxy.delayMs = 1_500;
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    const inFlight = fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { login(username: "viewer", password: "${TEST_SEED_PASSWORD}") { token } }` }),
    });
    await waitFor(() => proxy.pending > 0, 5_000, 'the request to reach the user subgraph');
    gateway.kill('SIGTERM');

    await waitFor(
      () => fetch(`${gatewayUrl}/health`).then(() => false, () => true),
      10_000,
      'the gateway to stop accepting connections',
    );
    const response = await inFlight;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { login: { token: string } } };
    expect(body.data.login.token).toEqual(expect.any(String));
    expect(await exited).toBe(0);
  });
});
