import { readFile } from 'node:fs/promises';
import { getOperationAST, Kind, parse } from 'graphql';
import { loadGatewayConfig } from '../../gateway/src/config';
import { measureOperation } from '../../gateway/src/limits/measure';
import { servedSchemaOf } from '../../gateway/src/supergraph/servedSchema';
import { DEFAULT_OPERATIONS_FILE } from '../../scripts/lib/schemaCheck';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL } from '@car-check/test-support/graphql';
import { freshClientAddress, sendRaw } from '@car-check/test-support/rawHttp';

const backend = ONE_BACKEND;

describe(`limits against abusive or malformed requests (${backend})`, () => {
  let graph: TestGraph;
  const proxies: DelayProxy[] = [];
  const subgraphCalls = () => proxies.reduce((sum, proxy) => sum + proxy.requests, 0);

  beforeAll(async () => {
    const through = async (url: string) => {
      const proxy = new DelayProxy(url);
      proxies.push(proxy);
      return proxy.start();
    };
    graph = await startGraph(backend, {
      seed: true,
      gatewayEnv: { RATE_LIMIT_PER_MINUTE: '30' },
      routeThrough: { car: through, 'cost-center': through, user: through },
    });
  });
  afterAll(async () => {
    await graph?.stop();
    await Promise.all(proxies.map((proxy) => proxy.stop()));
  });

  const refusedBeforeAnySubgraph = async (body: string, status: number, headers: Record<string, string> = {}) => {
    const before = subgraphCalls();
    const response = await postGraphQL(graph.gatewayUrl, body, headers);
    expect(response.status).toBe(status);
    expect(response.data).toBeUndefined();
    expect(subgraphCalls()).toBe(before);
    return response;
  };

  it.each([
    // Limits that stop the parse are 400; those measured on a parsed document are validation rules, 422.
    [
      'a 10,000-alias query',
      400,
      `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      /more than 10000 tokens/,
    ],
    [
      'a 300-alias query',
      422,
      `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      /aliases 300 exceeds the limit of 50/,
    ],
    [
      'a 500-deep query',
      400,
      `{ ${'cars { edges { node { costCenter { '.repeat(125)} id ${'} } } }'.repeat(125)} }`,
      /nests deeper than 64/,
    ],
    [
      'an 18-deep query',
      422,
      `{ me { ${'managedCostCenters { manager { '.repeat(8)} id ${'} } '.repeat(8)} } }`,
      /depth 18 exceeds the limit of 15/,
    ],
    [
      'a query whose nested pages multiply',
      422,
      '{ costCenters(first: 100) { edges { node { cars(first: 100) { edges { node { history(first: 100) { edges { node { id } } } } } } } } } }',
      /cost \d+ exceeds/,
    ],
  ])('%s is refused with RESOURCE_EXHAUSTED, HTTP %d', async (_what, status, query, message) => {
    const token = await graph.login('admin');
    const response = await refusedBeforeAnySubgraph(JSON.stringify({ query }), status, {
      authorization: `Bearer ${token}`,
    });
    expect(response.errors).toEqual([
      {
        message: expect.stringMatching(message),
        extensions: expect.objectContaining({ code: 'RESOURCE_EXHAUSTED', grpcStatus: 8 }),
      },
    ]);
  });

  it('a body over the size limit is refused with HTTP 413', async () => {
    const response = await refusedBeforeAnySubgraph(
      JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(1_100_000) }),
      413,
    );
    expect(response.errors?.[0]?.extensions).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      grpcStatus: 8,
      limit: 1024 * 1024,
      requestId: response.headers.get('x-request-id'),
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('batched requests are off, with a well-formed error', async () => {
    // JSON, but not a GraphQL request: 422.
    const response = await refusedBeforeAnySubgraph(
      JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
      422,
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_ARGUMENT',
      grpcStatus: 3,
      requestId: expect.any(String),
    });
  });

  it('rate-limits each client, answering 429 with Retry-After', async () => {
    const token = await graph.login('viewer');
    const address = freshClientAddress();
    const send = (from = address) =>
      sendRaw(graph.gatewayUrl, {
        body: JSON.stringify({ query: '{ me { username } }' }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        localAddress: from,
      });
    // Until its token has been verified once, a caller is only an address; from then on, the user.
    expect((await send(freshClientAddress())).status).toBe(200);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    // The user's 30 points, plus one from the address for each request that arrives while the
    // token's status check has gone stale (every TOKEN_STATUS_CACHE_MS, often on a loaded machine).
    for (let i = 0; i < 60 && !limited; i++) {
      const response = await send();
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses.length).toBeGreaterThan(30);
    expect(statuses.slice(0, -1).every((status) => status === 200)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect((limited?.json as { errors: { extensions: object }[] }).errors[0]!.extensions).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      retryAfterSeconds: expect.any(Number),
      requestId: expect.any(String),
    });
    // Another user, from another address, is not affected.
    const other = await sendRaw(graph.gatewayUrl, {
      body: JSON.stringify({ query: '{ __typename }' }),
      headers: { 'content-type': 'application/json' },
      localAddress: freshClientAddress(),
    });
    expect(other.status).toBe(200);
  });
});

describe('the default limits', () => {
  it('let every operation in the README and the client list pass with room to spare', async () => {
    const { queryLimits, supergraphPath } = loadGatewayConfig({});
    const { schema, costModel } = servedSchemaOf(await readFile(supergraphPath, 'utf8'), queryLimits.defaultListSize);
    const document = parse(await readFile(DEFAULT_OPERATIONS_FILE, 'utf8'));
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const shape = measureOperation(schema, costModel, document, getOperationAST(document, definition.name?.value)!);
      expect(shape.depth * 2).toBeLessThanOrEqual(queryLimits.maxDepth);
      expect(shape.cost * 4).toBeLessThanOrEqual(queryLimits.maxCost);
      expect(shape.fields * 4).toBeLessThanOrEqual(queryLimits.maxFields);
    }
  });
});
