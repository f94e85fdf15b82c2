import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listen } from '@car-check/service-kit';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL } from '@car-check/test-support/graphql';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { silentLogger } from '@car-check/test-support/subgraphs';
import { EXPECTED, REQUEST_BODY, supergraphWithUrls } from '../../benchmarks/federation/fixture';
import { resetSubgraphCalls, startAllSubgraphs, totalSubgraphCalls } from '../../benchmarks/federation/subgraphs';
import { loadGatewayConfig } from '../../gateway/src/config';
import { buildGateway } from '../../gateway/src/server';

const backend = ONE_BACKEND;

/**
 * Merged fetches (MERGE_ENTITY_FETCHES, on by default): one request's `_entities`
 * fetches to one subgraph in one stage of its plan go as one call, and the answer
 * is the one separate calls give.
 */
describe(`merged _entities fetches: one call per subgraph per plan stage (${backend})`, () => {
  let graph: TestGraph;
  let costCenterProxy: DelayProxy;
  let separateUrl: string;
  let token: string;

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      routeThrough: {
        'cost-center': async (url) => {
          costCenterProxy = new DelayProxy(url);
          return costCenterProxy.start();
        },
      },
    });
    token = await graph.login('admin');
    // Another gateway on the same route to cost-center (through the proxy), merging nothing.
    separateUrl = await graph.startGateway({}, { MERGE_ENTITY_FETCHES: 'false' });
  });
  afterAll(async () => {
    await graph?.stop();
    await costCenterProxy?.stop();
  });

  // Two cars, each with its cost center on its own path: the plan fetches cost-center twice in one stage.
  const TWO_COST_CENTERS = `query TwoCostCenters($a: ID!, $b: ID!) {
    first: car(id: $a) { id costCenter { code } }
    second: car(id: $b) { id costCenter { societyName } }
  }`;

  it('fetches two cost centers of one stage in one call, with the answer separate calls give', async () => {
    const cars = await postGraphQL<{ cars: { edges: { node: { id: string } }[] } }>(
      graph.gatewayUrl,
      { query: '{ cars(first: 2) { edges { node { id } } } }' },
      { authorization: `Bearer ${token}` },
    );
    const [a, b] = cars.data!.cars.edges.map((edge) => edge.node.id);
    expect(a && b).toBeTruthy();
    const ask = async (url: string) => {
      const before = costCenterProxy.requests;
      const answer = await postGraphQL(
        url,
        { query: TWO_COST_CENTERS, variables: { a, b } },
        { authorization: `Bearer ${token}` },
      );
      return { answer: { data: answer.data, errors: answer.errors }, calls: costCenterProxy.requests - before };
    };
    const merged = await ask(graph.gatewayUrl);
    const separate = await ask(separateUrl);
    expect(merged.answer.errors).toBeUndefined();
    expect(merged.answer.data).toMatchObject({
      first: { id: a, costCenter: { code: expect.any(String) } },
      second: { id: b, costCenter: { societyName: expect.any(String) } },
    });
    expect(merged.answer).toEqual(separate.answer);
    expect(separate.calls).toBe(2);
    expect(merged.calls).toBe(1);
  });
});

describe('the community benchmark through this gateway, fetches merged or not', () => {
  let close: (() => Promise<void>)[] = [];
  let urls: Record<'merged' | 'separate' | 'slowAccounts', string>;

  beforeAll(async () => {
    const subgraphs = await startAllSubgraphs();
    close.push(() => subgraphs.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'merged-fetches-'));
    close.push(async () => rmSync(dir, { recursive: true, force: true }));
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraphWithUrls(subgraphs.urls));
    // The same subgraphs with accounts answering 150 ms late: the query's two halves reach each stage at different times.
    const accountsProxy = new DelayProxy(subgraphs.urls.accounts);
    const slowAccountsPath = path.join(dir, 'supergraph-slow-accounts.graphql');
    writeFileSync(slowAccountsPath, supergraphWithUrls({ ...subgraphs.urls, accounts: await accountsProxy.start() }));
    accountsProxy.delayMs = 150;
    close.push(() => accountsProxy.stop());
    const start = async (merge: boolean, supergraph = supergraphPath) => {
      const env: NodeJS.ProcessEnv = {
        ...TEST_ENV,
        SUPERGRAPH_PATH: supergraph,
        SUPERGRAPH_POLL_MS: '0',
        // The benchmark query's estimated cost is above the default limit.
        MAX_QUERY_COST: '1000000',
        MERGE_ENTITY_FETCHES: String(merge),
        // Each request is counted on its own: none shares another's calls.
        DEDUPLICATE_QUERIES: 'false',
      };
      const gateway = await buildGateway(loadGatewayConfig(env), silentLogger('gateway'));
      const server = await listen(gateway.app, '127.0.0.1', 0);
      close.push(async () => {
        await server.close();
        await gateway.apollo.stop();
      });
      return `${server.url}/graphql`;
    };
    urls = {
      merged: await start(true),
      separate: await start(false),
      slowAccounts: await start(true, slowAccountsPath),
    };
  });
  afterAll(async () => {
    for (const stop of close.reverse()) await stop();
    close = [];
  });

  const ask = async (url: string) => {
    resetSubgraphCalls();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: REQUEST_BODY,
    });
    const body = Buffer.from(await response.arrayBuffer());
    return { status: response.status, body: body.toString('utf8').replace(/\n$/, ''), calls: totalSubgraphCalls() };
  };

  it('answers byte for byte the expected 87,599 bytes, with fewer subgraph calls when merged', async () => {
    const separate = await ask(urls.separate);
    // The first request plans the query (and runs Apollo's plan as planned); the next run it in stages.
    const first = await ask(urls.merged);
    const merged = await ask(urls.merged);
    const expected = EXPECTED.toString('utf8');
    for (const answer of [separate, first, merged]) {
      expect(answer.status).toBe(200);
      expect(answer.body === expected).toBe(true);
    }
    // Apollo's plan has 16 fetches; merged, one stage's fetches to one subgraph are one call. In
    // stages (stagedPlans.ts), the two halves' fetches of one stage to a subgraph leave together:
    // 8 calls in 4 stages, every time.
    expect(separate.calls).toBe(16);
    expect(first.calls).toBeLessThan(separate.calls);
    expect(merged.calls).toBe(8);
    console.log(
      `community benchmark, subgraph calls per request: ${separate.calls} separate, ${first.calls} merged as planned, ${merged.calls} in stages`,
    );
  });

  it('in stages, fetches one subgraph once per stage even when the halves of the query come back apart', async () => {
    const expected = EXPECTED.toString('utf8');
    // Apollo's plan as planned: the half that waits for accounts reaches each stage after the other half.
    const first = await ask(urls.slowAccounts);
    // In stages, each stage waits for the slow fetch of the one before, and its fetches leave together.
    const staged = await ask(urls.slowAccounts);
    for (const answer of [first, staged]) {
      expect(answer.status).toBe(200);
      expect(answer.body === expected).toBe(true);
    }
    expect(first.calls).toBeGreaterThan(8);
    expect(staged.calls).toBe(8);
  });
});
