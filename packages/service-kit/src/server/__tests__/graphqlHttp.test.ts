import { ApolloServer, HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import {
  graphqlOverHttpPlugin,
  MEDIA_TYPES,
  negotiateResponseType,
  PARTIAL_SUCCESS,
  requestShapeProblem,
  responseContentType,
  statusOfExecutedResult,
  statusOfRequestError,
} from '../graphqlHttp';
import { malformedHttpAnswer } from '../http';

const { graphqlResponse, json } = MEDIA_TYPES;

describe('negotiateResponseType', () => {
  it.each([
    [undefined, graphqlResponse],
    ['', graphqlResponse],
    ['*/*', graphqlResponse],
    ['application/*', graphqlResponse],
    ['application/graphql-response+json', graphqlResponse],
    ['application/graphql-response+json,application/json;q=0.9', graphqlResponse],
    ['application/json', json],
    ['application/json; charset=utf-8', json],
    ['application/json, multipart/mixed', json],
    ['application/json, application/graphql-response+json;q=0.5', json],
    ['text/html, */*;q=0.1', graphqlResponse],
    ['APPLICATION/JSON', json],
    ['application/graphql-response+json;q=0, application/json', json],
    ['text/html', null],
    ['application/json;q=0', null],
    ['application/xml, text/plain', null],
  ])('Accept %p → %p', (accept, expected) => {
    expect(negotiateResponseType(accept)).toBe(expected);
  });
});

describe('statuses and content types', () => {
  it('a result with data is 200 without errors, 294 with, 200 for a legacy client', () => {
    expect(statusOfExecutedResult(false, graphqlResponse)).toBe(200);
    expect(statusOfExecutedResult(true, graphqlResponse)).toBe(PARTIAL_SUCCESS);
    expect(statusOfExecutedResult(false, json)).toBe(200);
    expect(statusOfExecutedResult(true, json)).toBe(200);
  });

  it('only 2xx answers to a legacy client are labelled application/json', () => {
    expect(responseContentType(200, json)).toBe('application/json; charset=utf-8');
    expect(responseContentType(422, json)).toBe('application/graphql-response+json; charset=utf-8');
    expect(responseContentType(294, graphqlResponse)).toBe('application/graphql-response+json; charset=utf-8');
  });

  it.each([
    [['GRAPHQL_PARSE_FAILED'], 400],
    [['GRAPHQL_VALIDATION_FAILED'], 422],
    [['BAD_USER_INPUT'], 422],
    [['OPERATION_RESOLUTION_FAILURE'], 422],
    [['BAD_REQUEST'], 422],
    [['PERSISTED_QUERY_NOT_FOUND'], 404],
    [[undefined, 'GRAPHQL_VALIDATION_FAILED'], 422],
  ])('a request error %p is %d', (codes, status) => {
    expect(statusOfRequestError(codes, 400)).toBe(status);
  });

  it('keeps the status already chosen for other request errors, 500 when there is none', () => {
    expect(statusOfRequestError(['UNAUTHENTICATED'], 401)).toBe(401);
    expect(statusOfRequestError([], undefined)).toBe(500);
  });

  it.each([
    [{ query: '{ a }' }, undefined],
    [{ query: '{ a }', variables: null, operationName: null, extensions: null }, undefined],
    [[{ query: '{ a }' }], 'Batched requests are not supported'],
    ['{ a }', 'JSON object'],
    [{ query: 1 }, '`query`'],
    [{ query: '{ a }', variables: [7] }, '`variables`'],
    [{ query: '{ a }', operationName: {} }, '`operationName`'],
    [{ query: '{ a }', extensions: 'x' }, '`extensions`'],
  ])('request shape %p', (body, problem) => {
    const found = requestShapeProblem(body);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('malformedHttpAnswer', () => {
  const overflow = (packet: string, bytesParsed: number) =>
    Object.assign(new Error('Parse Error: Header overflow'), {
      code: 'HPE_HEADER_OVERFLOW',
      rawPacket: Buffer.from(packet),
      bytesParsed,
    });

  it('is 414 when the limit is reached in the request line, 431 in the headers, 408 when too slow, 400 otherwise', () => {
    expect(malformedHttpAnswer(overflow(`GET /graphql?query=${'a'.repeat(100)}`, 90))[0]).toBe(414);
    expect(malformedHttpAnswer(overflow(`GET / HTTP/1.1\r\nx-big: ${'a'.repeat(100)}`, 100))[0]).toBe(431);
    expect(malformedHttpAnswer(Object.assign(new Error('bad'), { code: 'HPE_INVALID_METHOD' }))[0]).toBe(400);
    expect(malformedHttpAnswer(Object.assign(new Error('slow'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }))[0]).toBe(408);
  });
});

describe('graphqlOverHttpPlugin, in Apollo Server', () => {
  let server: ApolloServer;

  beforeAll(async () => {
    server = new ApolloServer({
      typeDefs: 'type Query { ok: String, fails: String, required: String!, n(i: Int!): Int }',
      resolvers: {
        Query: {
          ok: () => 'ok',
          fails: () => {
            throw new GraphQLError('no', { extensions: { code: 'NOT_FOUND' } });
          },
          required: () => {
            throw new GraphQLError('no', { extensions: { code: 'NOT_FOUND' } });
          },
          n: (_: unknown, { i }: { i: number }) => i,
        },
      },
      plugins: [graphqlOverHttpPlugin()],
    });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  const run = async (body: Record<string, unknown>, accept?: string) => {
    const headers = new HeaderMap([['content-type', 'application/json']]);
    if (accept !== undefined) headers.set('accept', accept);
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body },
      context: async () => ({}),
    });
    return { status: response.status, contentType: response.headers.get('content-type') };
  };
  const GRAPHQL_RESPONSE = 'application/graphql-response+json; charset=utf-8';

  it.each([
    ['data, no errors', { query: '{ ok }' }, undefined, 200, GRAPHQL_RESPONSE],
    ['data, no errors, legacy client', { query: '{ ok }' }, 'application/json', 200, 'application/json; charset=utf-8'],
    ['data and errors', { query: '{ ok fails }' }, undefined, 294, GRAPHQL_RESPONSE],
    [
      'data and errors, legacy client',
      { query: '{ ok fails }' },
      'application/json',
      200,
      'application/json; charset=utf-8',
    ],
    ['data null and errors (execution failed entirely)', { query: '{ required }' }, undefined, 294, GRAPHQL_RESPONSE],
    ['a syntax error', { query: '{' }, undefined, 400, GRAPHQL_RESPONSE],
    ['a validation error', { query: '{ nope }' }, undefined, 422, GRAPHQL_RESPONSE],
    ['a validation error, legacy client', { query: '{ nope }' }, 'application/json', 422, GRAPHQL_RESPONSE],
    [
      'a variable that cannot be coerced',
      { query: 'query($i: Int!) { n(i: $i) }', variables: { i: 'x' } },
      undefined,
      422,
      GRAPHQL_RESPONSE,
    ],
    ['an ambiguous operation', { query: 'query A { ok } query B { ok }' }, undefined, 422, GRAPHQL_RESPONSE],
    ['an unknown operation name', { query: 'query A { ok }', operationName: 'B' }, undefined, 422, GRAPHQL_RESPONSE],
  ])('%s', async (_what, body, accept, status, contentType) => {
    expect(await run(body, accept)).toEqual({ status, contentType });
  });
});
