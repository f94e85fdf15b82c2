import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { LogCapture } from '@car-check/test-support/logCapture';
import { freshClientAddress, sendRaw, type RawResponse } from '@car-check/test-support/rawHttp';
import { sha256Hex } from '@car-check/test-support/sha256';

const backend = ONE_BACKEND;

interface ErrorBody {
  data?: unknown;
  errors?: { message: string; extensions: Record<string, unknown> }[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A chain of fragments, each spreading the previous one twice: 2^levels fields in ~30 bytes a level. */
function fragmentChain(levels: number): string {
  let query = `query { ...F${levels} } fragment F0 on Query { __typename }`;
  for (let i = 1; i <= levels; i++) query += ` fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`;
  return query;
}

// Edges inside fragments and a page size from a variable's default: 100 cost centers × 100 cars.
const DISGUISED_COST = `query Fleet($n: Int = 100) { costCenters(first: 100) { ...Centers } }
fragment Centers on CostCenterConnection { edges { node { code cars(first: $n) { ...Cars } } } }
fragment Cars on CarConnection { edges { node { id brand model } } }`;

/**
 * One regression test per finding of the hostile-client review (issue #9):
 * each failed before the request path was rebuilt.
 */
describe(`hostile requests that once got through (${backend})`, () => {
  let graph: TestGraph;
  const logs = new LogCapture('gateway');

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      gatewayLog: logs.log,
      gatewayEnv: { RATE_LIMIT_PER_MINUTE: '40' },
    });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const base = () => graph.gatewayUrl.replace(/\/graphql$/, '');
  const post = (body: unknown, headers: Record<string, string> = {}, localAddress = freshClientAddress()) =>
    sendRaw(base(), {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { ...JSON_HEADERS, ...headers },
      localAddress,
    });
  const get = (
    params: Record<string, string>,
    headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
  ) =>
    sendRaw(base(), {
      method: 'GET',
      path: `/graphql?${new URLSearchParams(params).toString()}`,
      headers,
      localAddress: freshClientAddress(),
    });
  const errorsOf = (response: RawResponse) => (response.json as ErrorBody).errors ?? [];
  const expectRefused = (response: RawResponse, status: number, code: string, message?: RegExp) => {
    expect({ status: response.status, code: errorsOf(response)[0]?.extensions.code }).toEqual({ status, code });
    const [error] = errorsOf(response);
    expect(error!.extensions.requestId).toBe(response.headers['x-request-id']);
    if (message) expect(error!.message).toMatch(message);
    expect((response.json as ErrorBody).data).toBeUndefined();
  };

  describe('1. a fragment chain cannot freeze the gateway', () => {
    it.each([30, 40])('a chain of %i levels from an anonymous client is refused at once', async (levels) => {
      const response = await post({ query: fragmentChain(levels) });
      expectRefused(response, 422, 'RESOURCE_EXHAUSTED', /Number of fields \d+ exceeds the limit of 1000/);
    });

    it('while chains arrive, the health check and other clients are answered', async () => {
      const admin = await graph.login('admin');
      const chains = Array.from({ length: 20 }, () => post({ query: fragmentChain(40) }));
      const [health, normal] = await Promise.all([
        sendRaw(base(), { method: 'GET', path: '/health' }),
        post({ query: '{ cars(first: 5) { totalCount } }' }, { authorization: `Bearer ${admin}` }),
      ]);
      expect(health.status).toBe(200);
      expect((normal.json as ErrorBody).data).toEqual({ cars: { totalCount: expect.any(Number) } });
      for (const chain of await Promise.all(chains)) expect(chain.status).toBe(422);
    });
  });

  describe('2. the cost limit sees through fragments and variable defaults', () => {
    it.each([
      ['the variable’s default', {}],
      ['the request’s variables', { n: 100 }],
    ])('a page size from %s is counted', async (_what, variables) => {
      const viewer = await graph.login('viewer');
      const response = await post({ query: DISGUISED_COST, variables }, { authorization: `Bearer ${viewer}` });
      expectRefused(response, 422, 'RESOURCE_EXHAUSTED', /Estimated query cost \d+ exceeds the limit of 10000/);
    });

    it('the same query with small pages is served', async () => {
      const viewer = await graph.login('viewer');
      const response = await post(
        { query: DISGUISED_COST, variables: { n: 2 } },
        { authorization: `Bearer ${viewer}` },
      );
      expect(response.status).toBe(200);
      expect(
        (response.json as { data: { costCenters: { edges: unknown[] } } }).data.costCenters.edges.length,
      ).toBeGreaterThan(0);
    });
  });

  describe('3. every transport crosses the same limits', () => {
    it('an over-cost query over GET is refused', async () => {
      const response = await get({ query: DISGUISED_COST });
      expectRefused(response, 422, 'RESOURCE_EXHAUSTED', /Estimated query cost/);
    });

    it.each([
      ['depth 18', `{ me { ${'managedCostCenters { manager { '.repeat(8)} id ${'} } '.repeat(8)} } }`, /depth 18/],
      ['300 aliases', `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: __typename`).join(' ')} }`, /aliases 300/],
    ])('%s over GET is refused', async (_what, query, message) => {
      expectRefused(await get({ query }), 422, 'RESOURCE_EXHAUSTED', message);
    });

    it('a persisted query registered with small variables is measured again with large ones', async () => {
      const viewer = { authorization: `Bearer ${await graph.login('viewer')}` };
      const persistedQuery = { version: 1, sha256Hash: sha256Hex(DISGUISED_COST) };
      const registered = await post(
        { query: DISGUISED_COST, variables: { n: 1 }, extensions: { persistedQuery } },
        viewer,
      );
      expect(registered.status).toBe(200);
      const byHash = await post({ variables: { n: 100 }, extensions: { persistedQuery } }, viewer);
      expectRefused(byHash, 422, 'RESOURCE_EXHAUSTED', /Estimated query cost/);
      const byHashOverGet = await get({
        variables: JSON.stringify({ n: 100 }),
        extensions: JSON.stringify({ persistedQuery }),
      });
      expectRefused(byHashOverGet, 422, 'RESOURCE_EXHAUSTED', /Estimated query cost/);
    });

    it('a document refused by a limit is never stored as a persisted query', async () => {
      const query = fragmentChain(30);
      const persistedQuery = { version: 1, sha256Hash: sha256Hex(query) };
      expectRefused(await post({ query, extensions: { persistedQuery } }), 422, 'RESOURCE_EXHAUSTED');
      const again = await post({ extensions: { persistedQuery } });
      expect(errorsOf(again)[0]?.extensions).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND', grpcStatus: 5 });
    });
  });

  describe('4. refused requests count against the rate limit', () => {
    it('1 MB alias bombs from one address are answered 429 once its budget is spent, and cost little', async () => {
      const address = freshClientAddress();
      const bomb = JSON.stringify({ query: `{ ${'a: __typename '.repeat(65_000)}}` });
      expect(bomb.length).toBeGreaterThan(900_000);
      const statuses: number[] = [];
      for (let i = 0; i < 45; i++) statuses.push((await post(bomb, {}, address)).status);
      expect(statuses.slice(0, 40).every((status) => status === 400)).toBe(true);
      expect(statuses.slice(40).every((status) => status === 429)).toBe(true);
    });

    it('forged tokens from one address are answered 429 once its budget is spent', async () => {
      const address = freshClientAddress();
      const forged = `Bearer ${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2lnbmF0dXJl`;
      const statuses: number[] = [];
      for (let i = 0; i < 45; i++)
        statuses.push((await post({ query: '{ __typename }' }, { authorization: forged }, address)).status);
      expect(statuses.slice(0, 40).every((status) => status === 401)).toBe(true);
      expect(statuses.slice(40).every((status) => status === 429)).toBe(true);
    });
  });

  describe('5. a client’s mistake is a 4xx with a code, never a 500', () => {
    it.each([
      [
        'several operations and no name',
        { query: 'query A { __typename } query B { __typename }' },
        422,
        'INVALID_ARGUMENT',
      ],
      [
        'an unknown operation name',
        { query: 'query A { __typename }', operationName: 'Nope' },
        422,
        'INVALID_ARGUMENT',
      ],
      ['a document with no operation', { query: 'fragment F on Query { __typename }' }, 422, 'INVALID_ARGUMENT'],
      ['a subscription', { query: 'subscription { carChanged { id } }' }, 422, 'UNIMPLEMENTED'],
      [
        'a fragment cycle',
        { query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' },
        422,
        'INVALID_ARGUMENT',
      ],
      [
        'an unsupported persisted-query version',
        { extensions: { persistedQuery: { version: 2, sha256Hash: sha256Hex('{ __typename }') } } },
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'a persisted-query hash that does not match',
        {
          query: '{ __typename }',
          extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ me { id } }') } },
        },
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'a malformed persisted-query hash',
        { extensions: { persistedQuery: { version: 1, sha256Hash: 'not-a-hash' } } },
        400,
        'INVALID_ARGUMENT',
      ],
    ])('%s', async (_what, body, status, code) => {
      expectRefused(await post(body), status, code);
    });

    it.each([
      ['a charset other than UTF-8', { 'content-type': 'application/json; charset=iso-8859-1' }, 415],
      ['a compressed body', { 'content-encoding': 'gzip' }, 415],
      ['an unknown content encoding', { 'content-encoding': 'x-zebra' }, 415],
      ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ])('%s', async (_what, headers, status) => {
      expectRefused(await post({ query: '{ __typename }' }, headers), status, 'INVALID_ARGUMENT');
    });

    it('a mutation over GET is refused with 405 and Allow: GET, POST', async () => {
      const response = await get({ query: 'mutation { logout }' });
      expectRefused(response, 405, 'INVALID_ARGUMENT');
      expect(response.headers.allow).toBe('GET, POST');
    });

    it('none of these is logged as an internal error', () => {
      const errors = logs.entries().filter((entry) => (entry.level as number) >= 50);
      expect(errors).toEqual([]);
    });
  });

  describe('6. every refusal carries the request id', () => {
    it('a cross-site GET without a preflight header', async () => {
      const response = await get({ query: '{ __typename }' }, {});
      expectRefused(response, 400, 'INVALID_ARGUMENT', /cross-site request forgery/);
    });

    it('a batch', async () => {
      expectRefused(await post([{ query: '{ __typename }' }]), 422, 'INVALID_ARGUMENT', /Batched/);
    });

    it('a response type the gateway cannot produce', async () => {
      const response = await post({ query: '{ __typename }' }, { accept: 'text/csv' });
      expect(response.status).toBe(406);
      expect(errorsOf(response)[0]?.extensions).toMatchObject({
        code: 'INVALID_ARGUMENT',
        requestId: response.headers['x-request-id'],
      });
    });
  });

  describe('found by the generated hostile requests (hostileRequests.test.ts)', () => {
    it('a denied root field beside a failed non-null one keeps its PERMISSION_DENIED, with no INTERNAL', async () => {
      const viewer = await graph.login('viewer');
      const response = await post(
        { query: '{ cars(first: -1) { totalCount } users { totalCount } }' },
        { authorization: `Bearer ${viewer}` },
      );
      const codes = errorsOf(response).map((e) => e.extensions.code);
      expect(codes).toContain('PERMISSION_DENIED');
      expect(codes).not.toContain('INTERNAL');
    });

    it.each([
      ['a NUL byte in login’s username', 'mutation { login(username: "a\\u0000b", password: "x") { token } }'],
      ['an unpaired surrogate in a search', '{ cars(filter: { search: "\\udbff evil" }) { totalCount } }'],
    ])('%s is INVALID_ARGUMENT', async (_what, query) => {
      const admin = await graph.login('admin');
      const response = await post({ query }, { authorization: `Bearer ${admin}` });
      const codes = errorsOf(response).map((e) => e.extensions.code);
      expect(codes).toEqual(['INVALID_ARGUMENT']);
    });

    it('a request line too large for node’s parser gets a coded JSON answer with a request id', async () => {
      const response = await sendRaw(base(), {
        method: 'GET',
        path: `/graphql?query=${'x'.repeat(20_000)}`,
        headers: { 'apollo-require-preflight': '1' },
      });
      // The URI is what is too long: 414 (431 is for the headers, see graphqlOverHttp.test.ts).
      expect(response.status).toBe(414);
      expect((response.json as ErrorBody).errors?.[0]?.extensions).toMatchObject({
        code: 'RESOURCE_EXHAUSTED',
        requestId: expect.any(String),
      });
    });

    it('an unknown path answers 404 with a request id', async () => {
      const response = await sendRaw(base(), { path: '/graphql;x=1', body: '{}', headers: JSON_HEADERS });
      expect(response.status).toBe(404);
      expect((response.json as ErrorBody).errors?.[0]?.extensions).toMatchObject({
        code: 'NOT_FOUND',
        requestId: response.headers['x-request-id'],
      });
    });

    it('the bearer scheme is matched without regard to case', async () => {
      const viewer = await graph.login('viewer');
      const response = await post({ query: '{ me { username } }' }, { authorization: `bearer ${viewer}` });
      expect((response.json as ErrorBody).data).toEqual({ me: { username: 'viewer' } });
    });
  });
});
