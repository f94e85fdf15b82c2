import { seedUsers } from '@car-check/common/demo';
import { BACKENDS } from '../support/config';
import { startGraph, type TestGraph } from '../support/graph';
import { LogCapture } from '../support/logCapture';

const backend = BACKENDS.includes('postgres') ? 'postgres' : 'pglite';

describe(`operating the graph: health, request ids, logs, metrics (${backend})`, () => {
  let graph: TestGraph;
  const logs = { gateway: new LogCapture('gateway'), subgraphs: new LogCapture('subgraphs') };
  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true, gatewayLog: logs.gateway.log, subgraphLog: logs.subgraphs.log });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const get = async (base: string, path: string) => {
    const response = await fetch(new URL(path, base));
    return { status: response.status, text: await response.text() };
  };
  const services = () => ({
    gateway: graph.gatewayUrl,
    car: graph.subgraphs.car.graphqlUrl,
    'cost-center': graph.subgraphs['cost-center'].graphqlUrl,
    user: graph.subgraphs.user.graphqlUrl,
  });

  it('every service answers /health and /ready with JSON naming its dependencies', async () => {
    for (const [name, url] of Object.entries(services())) {
      const health = await get(url, '/health');
      expect([name, health.status, JSON.parse(health.text)]).toEqual([
        name,
        200,
        { service: name, status: 'ok', version: expect.any(String), schemaHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ]);
      const ready = await get(url, '/ready');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toMatchObject({ service: name, status: 'ready' });
    }
    const subgraphReady = JSON.parse((await get(services().car, '/ready')).text);
    expect(subgraphReady.dependencies).toEqual({ database: 'up', migrations: 'up' });
    const gatewayReady = JSON.parse((await get(services().gateway, '/ready')).text);
    expect(gatewayReady.dependencies).toEqual({ supergraph: 'up', car: 'up', 'cost-center': 'up', user: 'up' });
    expect(gatewayReady.supergraph.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the gateway reports a subgraph that is not ready on /ready, stays ready, and serves the others", async () => {
    await graph.stopSubgraph('cost-center');
    try {
      const ready = await get(services().gateway, '/ready');
      // Ready while it has a supergraph (README, "Health"); READY_REQUIRES_SUBGRAPHS=true would make this 503.
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text).dependencies).toMatchObject({ 'cost-center': 'down', car: 'up', user: 'up' });
      expect((await graph.query('{ me { username } }')).data).toEqual({ me: { username: 'admin' } });
    } finally {
      await graph.restartSubgraph('cost-center');
    }
    expect((await get(services().gateway, '/ready')).status).toBe(200);
  });

  it("answers with the server's own request id, passes it to every subgraph call, and keeps a valid client x-request-id apart", async () => {
    const ok = await graph.query('{ me { username managedCostCenters { code } } }', undefined, { 'x-request-id': 'client-req-42' });
    const requestId = ok.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const entries = logs.subgraphs.entries().filter((entry) => entry.requestId === requestId && entry.msg === 'request');
    expect(new Set(entries.map((entry) => entry.service))).toEqual(new Set(['user', 'cost-center']));
    expect(entries.every((entry) => entry.clientRequestId === 'client-req-42')).toBe(true);
    const again = await graph.query('{ me { username } }', undefined, { 'x-request-id': 'client-req-42' });
    expect(again.headers.get('x-request-id')).not.toBe(requestId);

    for (const bad of ['x'.repeat(129), 'has space', 'tab\tin']) {
      const response = await graph.query(`{ user(id: "00000000-0000-4000-8000-000000000000") { id } }`, undefined, { 'x-request-id': bad });
      const sent = response.headers.get('x-request-id');
      expect(sent).not.toBe(bad);
      expect(sent).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.errors?.[0]?.extensions?.requestId).toBe(sent);
      const lines = logs.gateway.entries().filter((entry) => entry.requestId === sent && entry.msg === 'request');
      expect(lines.map((entry) => entry.clientRequestId)).toEqual([undefined]);
    }
  });

  it('logs one structured line per request per service, with timings and outcome', async () => {
    const response = await graph.query('query MyCars { cars(first: 2) { totalCount edges { node { costCenter { code } } } } }', undefined, { 'x-request-id': 'log-line-1' });
    const requestId = response.headers.get('x-request-id')!;
    const gatewayLines = logs.gateway.entries().filter((entry) => entry.requestId === requestId && entry.msg === 'request');
    expect(gatewayLines).toHaveLength(1);
    expect(gatewayLines[0]).toMatchObject({
      service: 'gateway',
      clientRequestId: 'log-line-1',
      operationName: 'MyCars',
      outcome: 'OK',
      userId: seedUsers[0]!.id,
      durationMs: expect.any(Number),
      subgraphs: expect.arrayContaining([
        expect.objectContaining({ subgraph: 'car', outcome: 'OK', durationMs: expect.any(Number) }),
        expect.objectContaining({ subgraph: 'cost-center', outcome: 'OK' }),
      ]),
    });
    const subgraphLines = logs.subgraphs.entries().filter((entry) => entry.requestId === requestId && entry.msg === 'request');
    expect(subgraphLines.map((entry) => entry.service).sort()).toEqual(['car', 'cost-center']);
  });

  it('serves Prometheus metrics on every service', async () => {
    await graph.query('query MetricsProbe { cars { totalCount } }');
    const gateway = (await get(services().gateway, '/metrics')).text;
    expect(gateway).toMatch(/graphql_requests_total\{[^}]*operation="MetricsProbe"[^}]*outcome="OK"[^}]*\} \d+/);
    expect(gateway).toMatch(/gateway_subgraph_fetch_duration_seconds_count\{[^}]*subgraph="car"/);
    expect(gateway).toContain('process_cpu_user_seconds_total');
    const car = (await get(services().car, '/metrics')).text;
    expect(car).toMatch(/graphql_request_duration_seconds_bucket\{[^}]*service="car"/);
    if (backend === 'postgres') expect(car).toMatch(/db_pool_connections\{[^}]*state="total"/);
  });
});
