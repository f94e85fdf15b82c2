import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { READINESS_POLL_MS, subgraphNames } from '@car-check/service-kit';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { LogCapture } from '@car-check/test-support/logCapture';
import { MANAGEMENT_HEADERS, managementGet } from '@car-check/test-support/management';
import { waitFor } from '@car-check/test-support/waitFor';

const backend = ONE_BACKEND;

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
    const response = await managementGet(base, path);
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
        {
          service: name,
          status: 'ok',
          version: expect.any(String),
          schemaHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ]);
      const ready = await get(url, '/ready');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toMatchObject({ service: name, status: 'ready' });
    }
    const subgraphReady = JSON.parse((await get(services().car, '/ready')).text);
    expect(subgraphReady.dependencies).toEqual({ database: 'up', migrations: 'up' });
    // Each subgraph's /ready is checked in the background with a 1 s deadline, which a loaded machine can miss now and then.
    let gatewayReady: { dependencies: Record<string, string>; supergraph: { hash: string } } | undefined;
    await waitFor(
      async () => {
        gatewayReady = JSON.parse((await get(services().gateway, '/ready')).text);
        return (
          JSON.stringify(gatewayReady!.dependencies) ===
          JSON.stringify({ supergraph: 'up', ...Object.fromEntries(subgraphNames().map((name) => [name, 'up'])) })
        );
      },
      30_000,
      "every subgraph to be up on the gateway's /ready",
    );
    expect(gatewayReady!.supergraph.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers anonymous callers status only: no dependencies, versions or metrics without the management token', async () => {
    for (const [name, url] of Object.entries(services())) {
      for (const path of ['/health', '/ready']) {
        const response = await fetch(new URL(path, url));
        expect([name, path, (await response.json()) as unknown]).toEqual([
          name,
          path,
          { service: name, status: path === '/health' ? 'ok' : 'ready' },
        ]);
      }
      const strangers: Record<string, string>[] = [
        {},
        { authorization: 'Bearer not-the-management-token-but-long-enough' },
        { authorization: MANAGEMENT_HEADERS.authorization!.replace('Bearer ', 'Basic ') },
      ];
      for (const headers of strangers) {
        const metrics = await fetch(new URL('/metrics', url), { headers });
        expect([name, metrics.status, metrics.headers.get('www-authenticate')]).toEqual([name, 401, 'Bearer']);
        expect(
          ((await metrics.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
        ).toBe('UNAUTHENTICATED');
        const ready = (await (await fetch(new URL('/ready', url), { headers })).json()) as Record<string, unknown>;
        expect(Object.keys(ready).sort()).toEqual(['service', 'status']);
      }
    }
  });

  it("serves /ready from state checked in the background: calls to the gateway's /ready do not each reach the subgraphs", async () => {
    // A stand-in for the car subgraph's /ready that counts its calls (the gateway under test only checks readiness there).
    let checks = 0;
    const counter = http.createServer((req, res) => {
      if (req.url === '/ready') checks += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"service":"car","status":"ready"}');
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = counter.address() as AddressInfo;
      const gateway = await graph.startGateway({ car: `http://127.0.0.1:${port}/graphql` });
      await waitFor(() => checks > 0, 30_000, 'the first background check');
      const before = checks;
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 300 }, () => fetch(new URL('/ready', gateway)).then((response) => response.status)),
      );
      const elapsedMs = performance.now() - started;
      expect(new Set(answers)).toEqual(new Set([200]));
      // One check a second at most (plus the one under way), however many calls.
      expect(checks - before).toBeLessThanOrEqual(Math.ceil(elapsedMs / READINESS_POLL_MS) + 1);
    } finally {
      counter.closeAllConnections();
      await new Promise((resolve) => counter.close(resolve));
    }
  });

  it('counts unknown operation names of anonymous callers as `other`: they cannot take the label slots of real operations', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `AnonFlood${i}`);
    for (const name of names) await graph.anonymous(`query ${name} { __typename }`);
    await graph.query('query AfterTheFlood { cars(first: 1) { totalCount } }');
    const metrics = (await get(services().gateway, '/metrics')).text;
    expect(metrics).not.toMatch(/operation="AnonFlood\d+"/);
    expect(metrics).toMatch(/graphql_requests_total\{[^}]*operation="other"[^}]*\} \d+/);
    expect(metrics).toMatch(/graphql_requests_total\{[^}]*operation="AfterTheFlood"[^}]*outcome="OK"[^}]*\} 1/);
  });

  it('the gateway reports a subgraph that is not ready on /ready, stays ready, and serves the others', async () => {
    await graph.stopSubgraph('cost-center');
    try {
      // Checked in the background: the gateway sees the subgraph down at its next check.
      let ready = await get(services().gateway, '/ready');
      await waitFor(
        async () => {
          ready = await get(services().gateway, '/ready');
          return JSON.parse(ready.text).dependencies['cost-center'] === 'down';
        },
        30_000,
        'the gateway to see cost-center down',
      );
      // Ready while it has a supergraph (docs/observability.md, "Health"); READY_REQUIRES_SUBGRAPHS=true would make this 503.
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text).dependencies).toMatchObject({ 'cost-center': 'down', car: 'up', user: 'up' });
      expect((await graph.query('{ me { username } }')).data).toEqual({ me: { username: 'admin' } });
    } finally {
      await graph.restartSubgraph('cost-center');
    }
    expect((await get(services().gateway, '/ready')).status).toBe(200);
  });

  it("answers with the server's own request id, passes it to every subgraph call, and keeps a valid client x-request-id apart", async () => {
    const ok = await graph.query('{ me { username managedCostCenters { code } } }', undefined, {
      'x-request-id': 'client-req-42',
    });
    const requestId = ok.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const entries = logs.subgraphs
      .entries()
      .filter((entry) => entry.requestId === requestId && entry.msg === 'request');
    expect(new Set(entries.map((entry) => entry.service))).toEqual(new Set(['user', 'cost-center']));
    expect(entries.every((entry) => entry.clientRequestId === 'client-req-42')).toBe(true);
    const again = await graph.query('{ me { username } }', undefined, { 'x-request-id': 'client-req-42' });
    expect(again.headers.get('x-request-id')).not.toBe(requestId);

    for (const bad of ['x'.repeat(129), 'has space', 'tab\tin']) {
      const response = await graph.query(`{ user(id: "00000000-0000-4000-8000-000000000000") { id } }`, undefined, {
        'x-request-id': bad,
      });
      const sent = response.headers.get('x-request-id');
      expect(sent).not.toBe(bad);
      expect(sent).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.errors?.[0]?.extensions?.requestId).toBe(sent);
      const lines = logs.gateway.entries().filter((entry) => entry.requestId === sent && entry.msg === 'request');
      expect(lines.map((entry) => entry.clientRequestId)).toEqual([undefined]);
    }
  });

  it('logs one structured line per request per service, with timings and outcome', async () => {
    const response = await graph.query(
      'query MyCars { cars(first: 2) { totalCount edges { node { costCenter { code } } } } }',
      undefined,
      { 'x-request-id': 'log-line-1' },
    );
    const requestId = response.headers.get('x-request-id')!;
    const gatewayLines = logs.gateway
      .entries()
      .filter((entry) => entry.requestId === requestId && entry.msg === 'request');
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
    const subgraphLines = logs.subgraphs
      .entries()
      .filter((entry) => entry.requestId === requestId && entry.msg === 'request');
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
