import { signRequest } from '@car-check/service-kit';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { sendRaw, type RawRequest, type RawResponse } from '@car-check/test-support/rawHttp';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { ADMIN } from '@car-check/test-support/subgraphHarness';
import { sha256Hex } from '@car-check/test-support/sha256';

/**
 * The GraphQL-over-HTTP draft's media types and status table, over real HTTP,
 * at the gateway's /graphql (POST, GET, persisted queries) and at a subgraph's.
 * docs/graphql-over-http.md lists the clauses these check.
 */
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const APOLLO_CLIENT_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

interface Answer {
  status: number;
  contentType: string | undefined;
  allow: string | undefined;
  body: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
}

function answer(response: RawResponse): Answer {
  return {
    status: response.status,
    contentType: response.headers['content-type'],
    allow: response.headers.allow,
    body: (response.json ?? {}) as Answer['body'],
  };
}

describe('GraphQL over HTTP: media types and status codes', () => {
  let graph: TestGraph;
  let token: string;

  const send = async (request: RawRequest) => answer(await sendRaw(graph.gatewayUrl, request));
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    send({
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const signedIn = () => ({ authorization: `Bearer ${token}` });
  const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    send({
      method: 'GET',
      path: `/graphql?${new URLSearchParams(params).toString()}`,
      headers: { 'apollo-require-preflight': 'true', ...headers },
    });

  beforeAll(async () => {
    graph = await startGraph(ONE_BACKEND, { seed: true });
    token = await graph.login('admin');
    // Starting three subgraphs and a gateway on a loaded machine.
  }, 300_000);
  afterAll(async () => {
    await graph?.stop();
  });

  describe('media types', () => {
    it.each([
      ['no Accept', undefined, GRAPHQL_RESPONSE],
      ['*/*', '*/*', GRAPHQL_RESPONSE],
      ["Apollo Client's Accept", APOLLO_CLIENT_ACCEPT, GRAPHQL_RESPONSE],
      ['application/graphql-response+json only', 'application/graphql-response+json', GRAPHQL_RESPONSE],
      ['application/json only (a legacy client)', 'application/json', JSON_TYPE],
      ['application/json preferred', 'application/json, application/graphql-response+json;q=0.5', JSON_TYPE],
    ])('a success with %s is answered in %s', async (_what, accept, contentType) => {
      const response = await post({ query: '{ __typename }' }, accept === undefined ? {} : { accept });
      expect(response).toMatchObject({ status: 200, contentType, body: { data: { __typename: 'Query' } } });
    });

    it('refuses an Accept that allows neither GraphQL type with 406, before running anything', async () => {
      const response = await post({ query: '{ __typename }' }, { accept: 'text/html' });
      expect(response).toMatchObject({
        status: 406,
        contentType: GRAPHQL_RESPONSE,
        body: { errors: [{ extensions: { code: 'INVALID_ARGUMENT' } }] },
      });
      expect(response.body.data).toBeUndefined();
    });

    it("answers a legacy client's error (no data, not 2xx) in application/graphql-response+json with the same status", async () => {
      const response = await post({ query: '{ nope }' }, { accept: 'application/json' });
      expect(response).toMatchObject({ status: 422, contentType: GRAPHQL_RESPONSE });
    });
  });

  describe('request errors (no data)', () => {
    it.each([
      ['malformed JSON', 400, '{"query":'],
      ['a GraphQL syntax error', 400, { query: '{' }],
      ['a JSON array (batches are not supported)', 422, [{ query: '{ __typename }' }]],
      ['a misspelt `query`', 422, { qeury: '{ __typename }' }],
      ['variables that are not a map', 422, { query: 'query Q($i: Int) { __typename }', variables: [7] }],
      ['an unknown field (validation)', 422, { query: '{ nope }' }],
      ['several operations and no operationName', 422, { query: 'query A { __typename } query B { __typename }' }],
      ['an unknown operationName', 422, { query: 'query A { __typename }', operationName: 'B' }],
      [
        'a query over the depth limit (a server validation rule)',
        422,
        { query: `{ ${'cars { edges { node { costCenter { '.repeat(4)}id${' } } } }'.repeat(4)} }` },
      ],
    ])('%s is %d, with no data', async (_what, status, body) => {
      const response = await post(body, signedIn());
      expect(response).toMatchObject({
        status,
        contentType: GRAPHQL_RESPONSE,
        body: { errors: [{ extensions: { code: expect.any(String), requestId: expect.any(String) } }] },
      });
      expect(response.body.data).toBeUndefined();
    });

    it('a variable that cannot be coerced is 422', async () => {
      const response = await post(
        { query: 'query($id: ID!) { car(id: $id) { id } }', variables: { id: { not: 'an id' } } },
        signedIn(),
      );
      expect(response).toMatchObject({
        status: 422,
        contentType: GRAPHQL_RESPONSE,
        body: { errors: [{ extensions: { code: 'INVALID_ARGUMENT' } }] },
      });
      expect(response.body.data).toBeUndefined();
    });

    it('a mutation over GET is 405 with Allow: GET, POST', async () => {
      const response = await get({ query: `mutation { deleteCar(id: "${UNKNOWN}") }` }, signedIn());
      expect(response).toMatchObject({ status: 405, allow: 'GET, POST', contentType: GRAPHQL_RESPONSE });
    });

    it('another method is 405 with Allow: GET, POST', async () => {
      const response = await send({
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      expect(response).toMatchObject({ status: 405, allow: 'GET, POST', contentType: GRAPHQL_RESPONSE });
    });

    it('an unsupported content type is 415', async () => {
      const response = await send({ headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' });
      expect(response).toMatchObject({ status: 415, contentType: GRAPHQL_RESPONSE });
    });

    it('a body over the limit is 413', async () => {
      const response = await post({ query: `{ __typename }${' '.repeat(1024 * 1024 + 10)}` });
      expect(response).toMatchObject({ status: 413, contentType: GRAPHQL_RESPONSE });
    });

    it('a URI too long for the server is 414, headers too large 431', async () => {
      const longUri = await send({
        method: 'GET',
        path: `/graphql?query=${'%20'.repeat(8000)}%7B__typename%7D`,
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(longUri).toMatchObject({
        status: 414,
        body: { errors: [{ extensions: { code: 'RESOURCE_EXHAUSTED' } }] },
      });
      const largeHeaders = await post({ query: '{ __typename }' }, { 'x-large': 'a'.repeat(20_000) });
      expect(largeHeaders).toMatchObject({
        status: 431,
        body: { errors: [{ extensions: { code: 'RESOURCE_EXHAUSTED' } }] },
      });
    });
  });

  describe('executed operations (data present)', () => {
    const partial = { query: `{ car(id: "${UNKNOWN}") { id } me { username } }` };

    it('a partial success (data and errors) is 294, with the subgraph error and its code', async () => {
      const response = await post(partial, signedIn());
      expect(response).toMatchObject({
        status: 294,
        contentType: GRAPHQL_RESPONSE,
        body: {
          data: { car: null, me: { username: 'admin' } },
          errors: [{ path: ['car'], extensions: { code: 'NOT_FOUND', serviceName: 'car' } }],
        },
      });
    });

    it('a partial success is 200 in application/json for a legacy client (294 only with application/graphql-response+json)', async () => {
      const response = await post(partial, { ...signedIn(), accept: 'application/json' });
      expect(response).toMatchObject({
        status: 200,
        contentType: JSON_TYPE,
        body: { data: { car: null }, errors: [{ extensions: { code: 'NOT_FOUND' } }] },
      });
    });

    it('a field the caller may not read is a partial success too (294)', async () => {
      const response = await post({ query: '{ __typename cars(first: 1) { totalCount } }' });
      expect(response).toMatchObject({
        status: 294,
        body: { data: { __typename: 'Query', cars: null }, errors: [expect.anything()] },
      });
    });

    it('the same rules hold over GET', async () => {
      expect(await get({ query: '{ __typename }' })).toMatchObject({ status: 200, contentType: GRAPHQL_RESPONSE });
      expect(await get({ query: partial.query }, { ...signedIn(), accept: 'application/json' })).toMatchObject({
        status: 200,
        contentType: JSON_TYPE,
      });
      expect(await get({ query: partial.query }, signedIn())).toMatchObject({
        status: 294,
        contentType: GRAPHQL_RESPONSE,
      });
      expect(await get({ query: '{ nope }' })).toMatchObject({ status: 422, contentType: GRAPHQL_RESPONSE });
    });
  });

  describe('persisted queries', () => {
    const extensions = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } });

    it('an unknown hash is 404 with PERSISTED_QUERY_NOT_FOUND, over POST and GET', async () => {
      const query = `{ __typename car(id: "${UNKNOWN}") { id } } # ${Math.random()}`;
      const viaPost = await post({ extensions: extensions(query) });
      expect(viaPost).toMatchObject({
        status: 404,
        contentType: GRAPHQL_RESPONSE,
        body: { errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] },
      });
      const viaGet = await get({ extensions: JSON.stringify(extensions(query)) });
      expect(viaGet).toMatchObject({
        status: 404,
        body: { errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] },
      });
    });

    it('a registered query sent by hash follows the same rules (294 for a partial success, 422 when invalid)', async () => {
      const query = `{ car(id: "${UNKNOWN}") { id } me { username } } # ${Math.random()}`;
      expect(await post({ query, extensions: extensions(query) }, signedIn())).toMatchObject({ status: 294 });
      expect(await post({ extensions: extensions(query) }, signedIn())).toMatchObject({
        status: 294,
        body: { data: { car: null } },
      });
      expect(
        await get({ extensions: JSON.stringify(extensions(query)) }, { ...signedIn(), accept: 'application/json' }),
      ).toMatchObject({ status: 200, contentType: JSON_TYPE });
      const invalid = `{ nope } # ${Math.random()}`;
      expect(await post({ query: invalid, extensions: extensions(invalid) })).toMatchObject({ status: 422 });
    });
  });

  describe("a subgraph's /graphql", () => {
    const toSubgraph = async (body: string, headers: Record<string, string> = {}, method = 'POST') => {
      const car = graph.subgraphs.car;
      const response = await sendRaw(car.url, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(await signRequest(
            ADMIN,
            { method, url: new URL('/graphql', car.url).toString(), body },
            TEST_SIGNING_SECRET,
            { audience: 'car' },
          )),
          ...headers,
        },
        body,
      });
      return answer(response);
    };

    it('follows the same table', async () => {
      expect(await toSubgraph(JSON.stringify({ query: '{ __typename }' }))).toMatchObject({
        status: 200,
        contentType: GRAPHQL_RESPONSE,
      });
      expect(
        await toSubgraph(JSON.stringify({ query: '{ __typename }' }), { accept: 'application/json' }),
      ).toMatchObject({ status: 200, contentType: JSON_TYPE });
      expect(await toSubgraph(JSON.stringify({ query: `{ car(id: "${UNKNOWN}") { id } }` }))).toMatchObject({
        status: 294,
        body: { data: { car: null }, errors: [{ extensions: { code: 'NOT_FOUND' } }] },
      });
      expect(await toSubgraph(JSON.stringify({ query: '{' }))).toMatchObject({
        status: 400,
        contentType: GRAPHQL_RESPONSE,
      });
      expect(await toSubgraph(JSON.stringify({ query: '{ nope }' }))).toMatchObject({
        status: 422,
        contentType: GRAPHQL_RESPONSE,
      });
      expect(
        await toSubgraph(JSON.stringify({ query: 'query A { __typename } query B { __typename }' })),
      ).toMatchObject({ status: 422 });
      expect(
        await toSubgraph(JSON.stringify({ query: 'query($id: ID!) { car(id: $id) { id } }', variables: { id: {} } })),
      ).toMatchObject({ status: 422 });
      expect(await toSubgraph(JSON.stringify([{ query: '{ __typename }' }]))).toMatchObject({ status: 422 });
      expect(await toSubgraph(JSON.stringify({ query: '{ __typename }', variables: [7] }))).toMatchObject({
        status: 422,
      });
      expect(await toSubgraph(JSON.stringify({ query: '{ __typename }' }), { accept: 'text/html' })).toMatchObject({
        status: 406,
      });
    });
  });
});
