import http from 'node:http';
import { once } from 'node:events';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { mergeParts, multipartParts } from '@car-check/test-support/deferredParts';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, postGraphQL } from '@car-check/test-support/graphql';
import { sha256Hex } from '@car-check/test-support/sha256';
import { waitFor } from '@car-check/test-support/waitFor';

/**
 * @defer through the gateway over real HTTP, with the cost-center subgraph
 * behind a proxy that the tests slow down: a client that accepts
 * `multipart/mixed;deferSpec=20220824` gets the first part before the slow
 * subgraph answers, then the deferred fields, equal once merged to the
 * one-JSON answer that every other client still gets. Apollo Client 4 reads
 * the parts; authorization, the cost limit, persisted queries and the
 * request's deadline apply as to any query; a client that goes away stops
 * the subgraph calls still in flight.
 */
const DEFER_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9';
const REQUEST_TIMEOUT_MS = 10_000;
const FLEET = `query Fleet {
  cars(first: 5) { edges { node { id model ... @defer(label: "billing") { costCenter { code manager { username } } } } } }
}`;

type Part = Record<string, unknown> & { hasNext?: boolean };
interface Fleet {
  cars: {
    edges: {
      node: { id: string; model: string; costCenter?: { code: string; manager: { username: string } | null } };
    }[];
  };
}

describe('@defer through the gateway', () => {
  let graph: TestGraph;
  let costCenterProxy: DelayProxy;
  let token: string;

  beforeAll(async () => {
    graph = await startGraph(ONE_BACKEND, {
      seed: true,
      gatewayEnv: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
      routeThrough: {
        'cost-center': async (url) => {
          costCenterProxy = new DelayProxy(url);
          return costCenterProxy.start();
        },
      },
    });
    token = await graph.login('admin');
  }, 300_000);
  afterEach(() => {
    costCenterProxy.delayMs = 0;
  });
  afterAll(async () => {
    await graph?.stop();
    await costCenterProxy?.stop();
  });

  const deferred = async (
    body: Record<string, unknown>,
    headers: Record<string, string> = { authorization: `Bearer ${token}` },
  ): Promise<{ response: Response; parts: { part: Part; at: number }[]; sent: number }> => {
    const sent = performance.now();
    const response = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT, ...headers },
      body: JSON.stringify(body),
    });
    const parts: { part: Part; at: number }[] = [];
    if (response.headers.get('content-type')?.startsWith('multipart/mixed')) {
      for await (const received of multipartParts<Part>(response)) parts.push(received);
    }
    return { response, parts, sent };
  };

  it('streams the first part without the deferred fields, then them; merged, the one-JSON answer', async () => {
    const whole = dataOf(await graph.query<Fleet>(FLEET));
    expect(whole.cars.edges.length).toBeGreaterThan(0);
    const { response, parts } = await deferred({ query: FLEET });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";deferSpec=20220824');
    const first = parts[0]!.part as { data: Fleet; hasNext: boolean };
    expect(first.hasNext).toBe(true);
    expect(first.data.cars.edges.every(({ node }) => node.costCenter === undefined && node.model)).toBe(true);
    const rest = parts.slice(1).map(({ part }) => part);
    expect(rest.at(-1)?.hasNext).toBe(false);
    const items = rest.flatMap((part) => (part.incremental ?? []) as { path: unknown[]; label: string }[]);
    expect(items).toHaveLength(whole.cars.edges.length);
    expect(items[0]).toMatchObject({ path: ['cars', 'edges', 0, 'node'], label: 'billing' });
    expect(mergeParts(parts.map(({ part }) => part))).toEqual({ data: whole, errors: [] });
  });

  it('answers in one JSON response a client that does not accept multipart', async () => {
    const response = await postGraphQL<Fleet>(graph.gatewayUrl, { query: FLEET }, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(response.data?.cars.edges[0]?.node.costCenter?.code).toEqual(expect.any(String));
  });

  it('sends the first part before the slowed subgraph answers', async () => {
    costCenterProxy.delayMs = 3_000;
    const { parts, sent } = await deferred({ query: FLEET });
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts[0]!.at - sent).toBeLessThan(costCenterProxy.delayMs);
    expect(parts.at(-1)!.at - sent).toBeGreaterThanOrEqual(costCenterProxy.delayMs);
    expect(parts.at(-1)!.part.hasNext).toBe(false);
  });

  it("Apollo Client 4's Defer20220824Handler receives the parts", async () => {
    costCenterProxy.delayMs = 1_000;
    const client = new ApolloClient({
      link: new HttpLink({ uri: graph.gatewayUrl, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache(),
      incrementalHandler: new Defer20220824Handler(),
    });
    try {
      const seen: Fleet[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const subscription = client.watchQuery<Fleet>({ query: gql(FLEET), fetchPolicy: 'no-cache' }).subscribe({
          next: (result) => {
            if (result.error) reject(result.error instanceof Error ? result.error : new Error(result.error.message));
            if (result.data) seen.push(result.data as Fleet);
            if (result.dataState === 'complete') {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
        });
      });
      await done;
      expect(seen.some((data) => data.cars.edges.every(({ node }) => node.costCenter === undefined))).toBe(true);
      const last = seen.at(-1)!;
      expect(last.cars.edges.every(({ node }) => typeof node.costCenter?.code === 'string')).toBe(true);
    } finally {
      client.stop();
    }
  });

  it('a deferred field the caller may not read is null with PERMISSION_DENIED on its own path', async () => {
    const viewer = await graph.login('viewer');
    const { parts } = await deferred(
      { query: '{ cars(first: 2) { edges { node { id ... @defer { history { totalCount } } } } } }' },
      { authorization: `Bearer ${viewer}` },
    );
    expect(parts[0]!.part).toMatchObject({ hasNext: true });
    expect(parts[0]!.part.errors).toBeUndefined();
    const items = parts.slice(1).flatMap(({ part }) => (part.incremental ?? []) as Record<string, unknown>[]);
    expect(items.length).toBeGreaterThan(0);
    items.forEach((item, index) => {
      expect(item).toMatchObject({
        data: { history: null },
        path: ['cars', 'edges', index, 'node'],
        errors: [
          expect.objectContaining({
            path: ['cars', 'edges', index, 'node', 'history'],
            extensions: expect.objectContaining({ code: 'PERMISSION_DENIED', requestId: expect.any(String) }),
          }),
        ],
      });
    });
  });

  it('refuses a query whose deferred fields take it over the cost limit, as without @defer', async () => {
    const inner = 'cars(first: 100) { edges { node { history(first: 100) { edges { node { id } } } } } }';
    const plain = `{ costCenters(first: 100) { edges { node { id ${inner} } } } }`;
    const withDefer = `{ costCenters(first: 100) { edges { node { id ... @defer { ${inner} } } } } }`;
    const refusedPlain = await postGraphQL(graph.gatewayUrl, { query: plain }, { authorization: `Bearer ${token}` });
    const { response } = await deferred({ query: withDefer });
    expect(response.status).toBe(refusedPlain.status);
    expect(response.headers.get('content-type')).not.toMatch(/multipart/);
    const refused = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(refused.errors[0]!.extensions.code).toBe('RESOURCE_EXHAUSTED');
    // The same cost: the deferred fields count like the others.
    expect(refused.errors[0]!.message).toBe(refusedPlain.errors![0]!.message);
    expect(refused.errors[0]!.message).toMatch(/cost \d+ exceeds/);
  });

  it('streams a persisted query with @defer, registered then sent by its hash alone', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256Hex(FLEET) } };
    const registered = await deferred({ query: FLEET, extensions });
    expect(registered.parts.length).toBeGreaterThanOrEqual(2);
    const byHash = await deferred({ extensions });
    expect(byHash.response.status).toBe(200);
    expect(byHash.parts[0]!.part).toMatchObject({ hasNext: true });
    expect(mergeParts(byHash.parts.map(({ part }) => part))).toEqual(
      mergeParts(registered.parts.map(({ part }) => part)),
    );
  });

  it('stops the deferred fetches still in flight when the client goes away', async () => {
    costCenterProxy.delayMs = REQUEST_TIMEOUT_MS;
    const sent = performance.now();
    const abortedBefore = costCenterProxy.aborted;
    // A raw connection, closed by the test (as a closed tab closes it; fetch may keep it to reuse).
    const request = http.request(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT, authorization: `Bearer ${token}` },
    });
    request.end(JSON.stringify({ query: FLEET }));
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    let received = '';
    response.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await waitFor(() => received.includes('"hasNext":true'), 30_000, 'the first part');
    await waitFor(() => costCenterProxy.pending > 0, 30_000, 'the deferred fetch to cost-center in flight');
    request.destroy();
    await waitFor(() => costCenterProxy.aborted > abortedBefore, 30_000, 'the gateway to abandon its cost-center call');
    // Abandoned because the client left, not at the request's deadline.
    expect(performance.now() - sent).toBeLessThan(REQUEST_TIMEOUT_MS);
  });

  it('ends the stream with DEADLINE_EXCEEDED when a deferred part misses the request deadline', async () => {
    costCenterProxy.delayMs = REQUEST_TIMEOUT_MS + 5_000;
    const { parts, sent } = await deferred({ query: FLEET });
    expect(parts[0]!.part).toMatchObject({ hasNext: true });
    const last = parts.at(-1)!;
    expect(last.part.hasNext).toBe(false);
    expect(JSON.stringify(last.part)).toContain('DEADLINE_EXCEEDED');
    expect(last.at - sent).toBeLessThan(REQUEST_TIMEOUT_MS + 4_000);
  });
});
