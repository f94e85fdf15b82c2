import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { buildSchema, parse } from 'graphql';
import { readCostModel } from '../../limits/costModel';
import { Documents, selectOperation } from '../documentStore';
import { acceptedMediaType, readGraphQLRequest, parseByteSize } from '../readRequest';
import { graphqlNesting, jsonNesting } from '../nesting';
import { OperationTexts } from '../persistedQueries';
import { sha256Hex } from '@car-check/service-kit';
import { Refusal } from '../refusal';

const LIMITS = { bodyLimitBytes: 1024, maxNesting: 8 };

/** An incoming request as node's HTTP server would hand it over. */
function request(method: string, headers: Record<string, string>, body?: string | Buffer): IncomingMessage {
  const stream = Readable.from(body === undefined ? [] : [Buffer.from(body)]) as unknown as IncomingMessage;
  return Object.assign(stream, { method, headers });
}

async function refusalOf(work: Promise<unknown> | (() => unknown)): Promise<Refusal> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const url = (search = '') => new URL(`http://gateway/graphql${search}`);
const json = { 'content-type': 'application/json' };

describe('intake', () => {
  it('reads a POST body and a GET query string into the same shape', async () => {
    const post = await readGraphQLRequest(
      request('POST', json, '{"query":"{ a }","variables":{"n":1},"operationName":"A"}'),
      url(),
      LIMITS,
    );
    const get = await readGraphQLRequest(
      request('GET', { 'apollo-require-preflight': '1' }),
      url(`?query=${encodeURIComponent('{ a }')}&variables=${encodeURIComponent('{"n":1}')}&operationName=A`),
      LIMITS,
    );
    expect(post).toEqual({ method: 'POST', query: '{ a }', operationName: 'A', variables: { n: 1 }, extensions: {} });
    expect(get).toEqual({ ...post, method: 'GET' });
  });

  it.each([
    ['another method', request('PUT', json, '{}'), 405, 'INVALID_ARGUMENT'],
    ['another content type', request('POST', { 'content-type': 'text/plain' }, '{}'), 415, 'INVALID_ARGUMENT'],
    [
      'another charset',
      request('POST', { 'content-type': 'application/json; charset=latin1' }, '{}'),
      415,
      'INVALID_ARGUMENT',
    ],
    ['a compressed body', request('POST', { ...json, 'content-encoding': 'br' }, '{}'), 415, 'INVALID_ARGUMENT'],
    [
      'a declared length over the limit',
      request('POST', { ...json, 'content-length': '5000' }, '{}'),
      413,
      'RESOURCE_EXHAUSTED',
    ],
    ['a body over the limit', request('POST', json, `{"query":"${'x'.repeat(2000)}"}`), 413, 'RESOURCE_EXHAUSTED'],
    ['bytes that are not UTF-8', request('POST', json, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'INVALID_ARGUMENT'],
    ['JSON that does not parse', request('POST', json, '{"query":'), 400, 'INVALID_ARGUMENT'],
    [
      'JSON nested too deeply',
      request('POST', json, `{"variables":${'['.repeat(20)}${']'.repeat(20)}}`),
      400,
      'RESOURCE_EXHAUSTED',
    ],
    // JSON, but not a well-formed GraphQL-over-HTTP request: 422.
    ['a batch', request('POST', json, '[{"query":"{ a }"}]'), 422, 'INVALID_ARGUMENT'],
    ['a body that is not an object', request('POST', json, '"{ a }"'), 422, 'INVALID_ARGUMENT'],
    [
      'variables that are not an object',
      request('POST', json, '{"query":"{ a }","variables":"{}"}'),
      422,
      'INVALID_ARGUMENT',
    ],
    ['a query that is not a string', request('POST', json, '{"query":{"kind":"Document"}}'), 422, 'INVALID_ARGUMENT'],
    ['a GET a browser could send cross-site', request('GET', {}), 400, 'INVALID_ARGUMENT'],
  ])('refuses %s', async (_what, incoming, status, code) => {
    const refusal = await refusalOf(readGraphQLRequest(incoming, url('?query=%7B%20a%20%7D'), LIMITS));
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status, code });
  });

  /** A POST whose body arrives in chunks, as the test writes them, with no declared length. */
  function chunked(): { incoming: IncomingMessage; body: PassThrough } {
    const body = new PassThrough();
    return { incoming: Object.assign(body, { method: 'POST', headers: json }) as unknown as IncomingMessage, body };
  }

  it('reads a body that arrives in several chunks', async () => {
    const { incoming, body } = chunked();
    const read = readGraphQLRequest(incoming, url(), LIMITS);
    for (const part of ['{"query":', '"{ a }"', ',"variables":{"é":1}}']) body.write(Buffer.from(part));
    body.end();
    expect(await read).toMatchObject({ query: '{ a }', variables: { é: 1 } });
  });

  it('stops reading a chunked body at the limit: the rest is left unread for the refusal to close', async () => {
    const { incoming, body } = chunked();
    const read = refusalOf(readGraphQLRequest(incoming, url(), LIMITS));
    body.write(Buffer.alloc(600, 0x20));
    body.write(Buffer.alloc(600, 0x20));
    const refusal = await read;
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status: 413, code: 'RESOURCE_EXHAUSTED' });
    body.write(Buffer.alloc(600, 0x20));
    expect(incoming.isPaused()).toBe(true);
    expect(incoming.listenerCount('data')).toBe(0);
  });

  it('fails, not hangs, when the client goes away before the end of its body', async () => {
    const { incoming, body } = chunked();
    const read = readGraphQLRequest(incoming, url(), LIMITS);
    body.write('{"query":');
    body.destroy();
    await expect(read).rejects.toThrow('Premature close');
  });

  it('refuses, not hangs, a body something already read to its end', async () => {
    const incoming = request('POST', json, '{"query":"{ a }"}');
    incoming.resume();
    await new Promise((resolve) => incoming.once('end', resolve));
    const refusal = await refusalOf(readGraphQLRequest(incoming, url(), LIMITS));
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status: 400, code: 'INVALID_ARGUMENT' });
  });

  it('refuses a GET parameter given twice', async () => {
    const refusal = await refusalOf(
      readGraphQLRequest(request('GET', { 'apollo-require-preflight': '1' }), url('?query=a&query=b'), LIMITS),
    );
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status: 422, code: 'INVALID_ARGUMENT' });
  });

  it('takes an empty GET parameter for an absent one', async () => {
    const params = await readGraphQLRequest(
      request('GET', { 'apollo-require-preflight': '1' }),
      url('?query=%7B%20a%20%7D&variables=&operationName=&extensions='),
      LIMITS,
    );
    expect(params).toEqual({ method: 'GET', query: '{ a }', variables: {}, extensions: {} });
  });

  it('answers another method with the methods it allows', async () => {
    const refusal = await refusalOf(readGraphQLRequest(request('DELETE', json), url(), LIMITS));
    expect({ status: refusal.status, headers: refusal.headers }).toEqual({
      status: 405,
      headers: { allow: 'GET, POST' },
    });
  });

  it.each([
    [undefined, 'application/graphql-response+json'],
    ['*/*', 'application/graphql-response+json'],
    ['application/json', 'application/json'],
  ])('answers Accept %p in %s', (accept, mediaType) => {
    expect(acceptedMediaType(request('POST', accept === undefined ? json : { ...json, accept }))).toBe(mediaType);
  });

  it('refuses an Accept that allows neither GraphQL response type with 406', async () => {
    const refusal = await refusalOf(() => acceptedMediaType(request('POST', { ...json, accept: 'text/html' })));
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status: 406, code: 'INVALID_ARGUMENT' });
  });

  it('reads byte sizes', () => {
    expect([parseByteSize('1mb'), parseByteSize('512kb'), parseByteSize('10B')]).toEqual([1_048_576, 524_288, 10]);
  });
});

describe('nesting', () => {
  it('counts brackets outside strings and comments only', () => {
    expect(jsonNesting('{"a":[[1]],"b":"[[[[[["}')).toBe(3);
    expect(graphqlNesting('{ a(x: {y: [1]}) { b } } # {{{{{')).toBe(4);
    expect(graphqlNesting('{ a(x: "{{{{", y: """ {{{ \\""" {{ """) }')).toBe(2);
    expect(graphqlNesting('{'.repeat(100_000))).toBe(100_000);
  });
});

describe('operation text', () => {
  const texts = new OperationTexts(1024 * 1024);
  const params = (query: string | undefined, extensions: Record<string, unknown> = {}) => ({
    method: 'POST' as const,
    query,
    variables: {},
    extensions,
  });

  it('hashes a plain query', () => {
    expect(texts.resolve(params('{ a }'))).toEqual({ query: '{ a }', hash: sha256Hex('{ a }'), registers: false });
  });

  it('finds an automatic persisted query only once it has been registered', async () => {
    const query = '{ registered }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const miss = await refusalOf(() => texts.resolve(params(undefined, { persistedQuery })));
    expect(miss.body('r').errors[0]!.extensions).toMatchObject({ code: 'PERSISTED_QUERY_NOT_FOUND', grpcStatus: 5 });
    expect(miss.status).toBe(404);
    const registering = texts.resolve(params(query, { persistedQuery }));
    expect(registering.registers).toBe(true);
    texts.register(registering);
    expect(texts.resolve(params(undefined, { persistedQuery })).query).toBe(query);
  });

  it.each([
    ['an empty request', 422, params(undefined)],
    ['another version', 400, params(undefined, { persistedQuery: { version: 2, sha256Hash: sha256Hex('x') } })],
    ['a malformed hash', 400, params(undefined, { persistedQuery: { version: 1, sha256Hash: 'abc' } })],
    [
      'a hash of another text',
      400,
      params('{ a }', { persistedQuery: { version: 1, sha256Hash: sha256Hex('{ b }') } }),
    ],
  ])('refuses %s with INVALID_ARGUMENT, HTTP %d', async (_what, status, given) => {
    const refusal = await refusalOf(() => texts.resolve(given));
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status, code: 'INVALID_ARGUMENT' });
  });
});

describe('documents', () => {
  const schema = buildSchema('type Query { a: Int b(first: Int): [T] } type T { x: Int }');
  const served = { schema, costModel: readCostModel(parse('type Query { a: Int }'), 10) };
  const limits = {
    maxDepth: 5,
    maxAliases: 2,
    maxFields: 10,
    maxCost: 100,
    maxTokens: 50,
    maxNesting: 6,
    defaultListSize: 10,
  };
  const text = (query: string) => ({ query, hash: sha256Hex(query), registers: false });

  it('admits a valid document and hands Apollo only what it validated', async () => {
    const documents = new Documents({ limits, introspection: true, cacheBytes: 1024 * 1024 });
    const admitted = text('{ a }');
    expect(await documents.get(`schemahash:${admitted.hash}`)).toBeUndefined();
    expect(documents.admit(admitted, undefined, 'POST', {}, served).operation).toBe('query');
    expect(await documents.get(`schemahash:${admitted.hash}`)).toMatchObject({ kind: 'Document' });
    documents.schemaChanged();
    expect(await documents.get(`schemahash:${admitted.hash}`)).toBeUndefined();
  });

  it.each([
    ['a syntax error', '{ a', 400, 'INVALID_ARGUMENT'],
    ['too many tokens', `{ ${'a '.repeat(60)}}`, 400, 'RESOURCE_EXHAUSTED'],
    ['too deep a nesting', `{ a(x: ${'['.repeat(10)}${']'.repeat(10)}) }`, 400, 'RESOURCE_EXHAUSTED'],
    // Parsed, but over a limit (the server's own validation rules) or invalid: 422.
    ['too many aliases', '{ x: a y: a z: a }', 422, 'RESOURCE_EXHAUSTED'],
    ['a list too costly', '{ b(first: 1000) { x } }', 422, 'RESOURCE_EXHAUSTED'],
    ['an unknown field', '{ nope }', 422, 'INVALID_ARGUMENT'],
    ['introspection when it is off', '{ __schema { queryType { name } } }', 422, 'INVALID_ARGUMENT'],
  ])('refuses %s', async (_what, query, status, code) => {
    const documents = new Documents({ limits, introspection: false, cacheBytes: 1024 * 1024 });
    const refusal = await refusalOf(() => documents.admit(text(query), undefined, 'POST', {}, served));
    expect({ status: refusal.status, code: refusal.code }).toEqual({ status, code });
  });

  it('selects the named operation and refuses what cannot run', async () => {
    const document = parse('query A { a } query B { a } mutation M { a } subscription S { a }');
    expect(selectOperation(document, 'B', 'POST').name?.value).toBe('B');
    for (const [name, method, status, code] of [
      [undefined, 'POST', 422, 'INVALID_ARGUMENT'],
      ['Z', 'POST', 422, 'INVALID_ARGUMENT'],
      ['S', 'POST', 422, 'UNIMPLEMENTED'],
      ['M', 'GET', 405, 'INVALID_ARGUMENT'],
    ] as const) {
      const refusal = await refusalOf(() => selectOperation(document, name, method));
      expect({ name, status: refusal.status, code: refusal.code }).toEqual({ name, status, code });
    }
  });
});
