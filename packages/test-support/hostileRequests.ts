import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER, PROTOCOL_CODES, STATUS } from '@car-check/service-kit';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import { sendRaw, type RawRequest, type RawResponse } from './rawHttp';
import { sha256Hex } from './sha256';

/**
 * Hostile HTTP requests for the gateway, as fast-check arbitraries: what a
 * broken or malicious client may send to `/graphql` (malformed JSON, wrong
 * transports, oversized or pathological documents, forged credentials, ...),
 * plus valid requests so that the same run shows the gateway still serving.
 * Each request is a {@link RawRequest} for {@link sendRaw}, tagged with its
 * family and a short description. {@link judgeResponse} holds the contract
 * every answer must keep, whatever was sent; {@link runHostileRequests} sends
 * a stream of them and collects what broke it.
 */

export const FAMILIES = [
  'valid',
  'malformedJson',
  'contentType',
  'method',
  'hugeDocument',
  'deepDocument',
  'fragmentChain',
  'fragmentCycle',
  'aliasBomb',
  'variables',
  'coercedVariables',
  'apq',
  'get',
  'batch',
  'authorization',
  'headers',
  'operations',
  'subscription',
  'unicode',
  'mutation',
] as const;

export type Family = (typeof FAMILIES)[number];

export interface HostileRequest {
  family: Family;
  /** What the request tries, in a few words. */
  description: string;
  request: RawRequest;
  /** HTTP statuses the gateway must answer with, when the outcome is certain (a 503 with Retry-After always passes). */
  expectStatus?: number[];
}

export interface HostileOptions {
  /** Valid access tokens of seeded users (e.g. admin, viewer), mixed into some requests so they get past authentication. */
  tokens?: Record<string, string>;
  /** The gateway's BODY_LIMIT in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** The gateway's MAX_QUERY_TOKENS (default 10,000). */
  maxTokens?: number;
}

const MIB = 1024 * 1024;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const ADMIN_ID = seedUsers.find((user) => user.username === 'admin')?.id ?? UNKNOWN_ID;

// ---------------------------------------------------------------------------
// Building blocks

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const J = (value: unknown) => JSON.stringify(value);

interface Operation {
  query: string;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/** A JSON body, with only the keys given. */
function body(operation: Operation): string {
  return J(operation);
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function post(
  payload: string | Buffer,
  headers: Record<string, string> = {},
  extra: Partial<RawRequest> = {},
): RawRequest {
  return { method: 'POST', path: '/graphql', headers: { ...JSON_HEADERS, ...headers }, body: payload, ...extra };
}

/** Percent-encodes a query parameter (lone surrogates become U+FFFD, as a browser would send them). */
function pct(value: string): string {
  return Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[^A-Za-z0-9\-_.~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function getPath(params: [string, string][]): string {
  return `/graphql?${params.map(([name, value]) => `${pct(name)}=${pct(value)}`).join('&')}`;
}

function get(
  params: [string, string][],
  headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
): RawRequest {
  return { method: 'GET', path: getPath(params), headers };
}

const auth = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** A header value node's HTTP client accepts (tab, printable ASCII, Latin-1 high half). */
const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

const hr = (family: Family, description: string, request: RawRequest, expectStatus?: number[]): HostileRequest => ({
  family,
  description,
  request,
  ...(expectStatus ? { expectStatus } : {}),
});

const printableAscii = (maxLength: number, minLength = 0) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength, maxLength });

const NASTY_STRINGS = [
  '😀',
  '👨‍👩‍👧‍👦',
  '\u202eevil\u202c',
  'مرحبا بالعالم',
  'עברית',
  '\u200b\u200c\u200d\u2060',
  'e\u0301\u0301\u0301',
  '\ud800',
  '\udfff',
  '\udbff\udfff',
  '\ufeff',
  '\ufffe\uffff',
  '\u2028\u2029',
  'Ω≈ç√∫˜µ≤≥÷',
  '𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǵ̩͑o͈',
  "'; DROP TABLE cars; --",
  '%s%s%n',
  '${jndi:ldap://x}',
  '../../../../etc/passwd',
  '\\',
  '"',
  '\t\r\n',
  '\u0000',
  '\u001b[31m',
];

/** Code points fast-check's `binary` unit draws from: all of Unicode but the surrogates. */
const CODE_POINTS = 0xd800 + (0x10ffff - 0xe000 + 1);

/**
 * Any one code point: fast-check's `unit: 'binary'`, drawn the same way (the same strings for the
 * same seed), with the way back from a character computed instead of looked up. fast-check builds
 * that lookup as a map of all 1.1 million code points when `fc.string` is first given the unit,
 * which cost every run of the hostile requests over two seconds of CPU before sending anything.
 */
const anyCodePoint: fc.Arbitrary<string> = fc.nat({ max: CODE_POINTS - 1 }).map(
  (index) => String.fromCodePoint(index < 0xd800 ? index : index + 0x800),
  (value) => {
    const codePoint = typeof value === 'string' ? value.codePointAt(0) : undefined;
    const surrogate = codePoint !== undefined && codePoint >= 0xd800 && codePoint <= 0xdfff;
    if (codePoint === undefined || surrogate || String.fromCodePoint(codePoint) !== value)
      throw new Error('not one code point');
    return codePoint < 0xd800 ? codePoint : codePoint - 0x800;
  },
);

const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: anyCodePoint, maxLength: 24 }),
  fc.array(fc.constantFrom(...NASTY_STRINGS), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
);

/** Operations the gateway must serve (given enough scopes), used alone and as the base of broken variants. */
const VALID_OPERATIONS: Operation[] = [
  { query: '{ __typename }' },
  { query: 'query { __typename }' },
  { query: 'query Me { me { id username groups } }', operationName: 'Me' },
  {
    query:
      '{ cars(first: 3) { totalCount edges { cursor node { id brand model version revision costCenter { code societyName } } } pageInfo { hasNextPage endCursor } } }',
  },
  {
    query:
      '{ costCenters(first: 2, orderBy: { field: CODE, direction: DESC }) { edges { node { code societyName manager { username } cars(first: 2) { totalCount } } } } }',
  },
  { query: '{ users(first: 5, filter: { isActive: true }) { totalCount edges { node { username groups } } } }' },
  {
    query:
      'query Cars($n: Int, $after: String) { cars(first: $n, after: $after) { totalCount edges { node { id } } } }',
    variables: { n: 2 },
  },
  { query: `{ car(id: "${UNKNOWN_ID}") { id brand } }` },
  { query: '{ __schema { queryType { name } } }' },
  { query: '{ __type(name: "Car") { name fields { name } } }' },
  {
    query: 'query Search($f: CarFilter) { cars(first: 5, filter: $f) { totalCount } }',
    variables: { f: { search: 'a' } },
  },
];

/**
 * The issue #20 request: 50 aliases whose page sizes all come from `$n`. Its default (0)
 * makes it cheap; `n` sent as null, a literal null, or no default at all makes every
 * subgraph serve its default page (20): 50 × (1 + 20 × (3 + 1 + 20 × 2)) = 44,050, over
 * the default MAX_QUERY_COST (10,000).
 */
export function nullPagesQuery(declaration: string, argument = '$n', name = ''): string {
  const alias = (i: number) =>
    `a${i}:cars(first:${argument}){edges{node{costCenter{cars(first:${argument}){edges{node{id}}}}}}}`;
  const head = declaration ? `query ${name}(${declaration})` : `query ${name}`;
  return `${head}{${Array.from({ length: 50 }, (_, i) => alias(i)).join(' ')}}`;
}

/** {@link nullPagesQuery} as a persisted query: registered with its cheap default, then sent by hash with other variables. */
export const APQ_NULL_PAGES = nullPagesQuery('$n: Int = 0', '$n', 'ApqNullPages');

/** Persisted queries the run registers first (see {@link apqRegistrationRequests}), so hash-only requests can find them. */
export const APQ_REGISTERED_QUERIES = [
  'query ApqCars($n: Int) { cars(first: $n) { totalCount } }',
  '{ __typename }',
  'query ApqMe { me { username } }',
  APQ_NULL_PAGES,
];

/** Registers {@link APQ_REGISTERED_QUERIES} (query and hash together), as Apollo Client does on a miss. */
export function apqRegistrationRequests(): RawRequest[] {
  return APQ_REGISTERED_QUERIES.map((query) =>
    post(body({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } })),
  );
}

// ---------------------------------------------------------------------------
// Families

function validFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      operation: fc.constantFrom(...VALID_OPERATIONS),
      token: tokenOption(tokens),
      transport: fc.constantFrom('post', 'post', 'get'),
      n: fc.integer({ min: 0, max: 100 }),
    })
    .map(({ operation, token, transport, n }) => {
      const op =
        operation.variables && 'n' in (operation.variables as object) ? { ...operation, variables: { n } } : operation;
      const who = token ? 'signed in' : 'anonymous';
      if (transport === 'get') {
        const params: [string, string][] = [['query', op.query]];
        if (op.variables) params.push(['variables', J(op.variables)]);
        if (typeof op.operationName === 'string') params.push(['operationName', op.operationName]);
        return hr(
          'valid',
          `GET ${op.query.slice(0, 40)} (${who})`,
          get(params, { 'apollo-require-preflight': 'true', ...auth(token) }),
          [200, 294],
        );
      }
      return hr('valid', `POST ${op.query.slice(0, 40)} (${who})`, post(body(op), auth(token)), [200, 294]);
    });
}

const tokenOption = (tokens: string[]): fc.Arbitrary<string | undefined> =>
  tokens.length > 0 ? fc.option(fc.constantFrom(...tokens), { nil: undefined, freq: 2 }) : fc.constant(undefined);

function malformedJsonFamily(): fc.Arbitrary<HostileRequest> {
  const base = fc.constantFrom(...VALID_OPERATIONS).map((op) => body(op));
  const truncated = base.chain((text) =>
    fc
      .integer({ min: 0, max: text.length - 1 })
      .map((at) => hr('malformedJson', `truncated at ${at}/${text.length}`, post(text.slice(0, at)), [400])),
  );
  const BAD_UTF8: [string, number[]][] = [
    ['0xff', [0xff]],
    ['0xfe 0xfe', [0xfe, 0xfe]],
    ['lone continuation 0x80', [0x80]],
    ['0xc3 0x28', [0xc3, 0x28]],
    ['truncated 3-byte 0xe2 0x82', [0xe2, 0x82]],
    ['truncated emoji', [0xf0, 0x9f, 0x98]],
    ['encoded surrogate', [0xed, 0xa0, 0x80]],
    ['overlong slash', [0xc0, 0xaf]],
    ['overlong NUL', [0xc0, 0x80]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ];
  const invalidUtf8 = fc
    .record({
      bad: fc.constantFrom(...BAD_UTF8),
      where: fc.constantFrom('in the query string', 'between tokens', 'at the end', 'at the start'),
    })
    .map(({ bad: [name, bytes], where }) => {
      const bad = Buffer.from(bytes);
      const q = Buffer.from('{"query":"{ __typename ');
      const tail = Buffer.from('}"}');
      const parts =
        where === 'in the query string'
          ? [q, bad, tail]
          : where === 'between tokens'
            ? [Buffer.from('{"query":'), bad, Buffer.from('"{ __typename }"}')]
            : where === 'at the end'
              ? [Buffer.from('{"query":"{ __typename }"}'), bad]
              : [bad, Buffer.from('{"query":"{ __typename }"}')];
      return hr('malformedJson', `invalid UTF-8 (${name}) ${where}`, post(Buffer.concat(parts)), [400]);
    });
  const nul = fc
    .constantFrom(
      ['raw NUL inside the JSON string', '{"query":"{ __typename }\u0000"}'],
      ['raw NUL between JSON tokens', '{"query":\u0000"{ __typename }"}'],
      ['escaped NUL in the query', '{"query":"{ __typename \\u0000 }"}'],
      ['escaped NUL in a GraphQL string', '{"query":"{ car(id: \\"\\u0000\\") { id } }"}'],
      ['NUL after the body', '{"query":"{ __typename }"}\u0000'],
      ['only NULs', '\u0000\u0000\u0000\u0000'],
    )
    .map(([what, text]) => hr('malformedJson', what, post(text)));
  const bom = fc
    .constantFrom(
      ['leading BOM', '\ufeff{"query":"{ __typename }"}'],
      ['two BOMs', '\ufeff\ufeff{"query":"{ __typename }"}'],
      ['BOM inside the body', '{"query":\ufeff"{ __typename }"}'],
      ['BOM in the query', '{"query":"\ufeff{ __typename }"}'],
    )
    .map(([what, text]) => hr('malformedJson', what, post(text)));
  const deep = fc
    .record({
      depth: fc.oneof(fc.integer({ min: 10, max: 80 }), fc.integer({ min: 10, max: 3000 })),
      shape: fc.constantFrom(
        'array body',
        'object body',
        'variables array',
        'variables object',
        'extensions object',
        'unclosed array',
        'query array',
      ),
    })
    .map(({ depth, shape }) => {
      const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const text = {
        'array body': arrays,
        'object body': `{"query":"{ __typename }","x":${objects}}`,
        'variables array': `{"query":"{ __typename }","variables":{"v":${arrays}}}`,
        'variables object': `{"query":"{ __typename }","variables":${objects}}`,
        'extensions object': `{"query":"{ __typename }","extensions":${objects}}`,
        'unclosed array': `{"query":"{ __typename }","variables":{"v":${'['.repeat(depth)}`,
        'query array': `{"query":${arrays}}`,
      }[shape];
      return hr('malformedJson', `JSON nested ${depth} deep (${shape})`, post(text), [400, 422, 200]);
    });
  const garbage = fc.oneof(
    fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => hr('malformedJson', `${bytes.length} random bytes`, post(Buffer.from(bytes)))),
    fc.json({ maxDepth: 3 }).map((text) => hr('malformedJson', `random JSON ${text.slice(0, 40)}`, post(text))),
    printableAscii(200).map((text) => hr('malformedJson', `random text ${text.slice(0, 40)}`, post(text))),
  );
  const wrongShapes = fc
    .constantFrom(
      ['empty body', ''],
      ['whitespace body', '  \n\t '],
      ['null', 'null'],
      ['number', '42'],
      ['string', '"{ __typename }"'],
      ['true', 'true'],
      ['query is a number', '{"query":5}'],
      ['query is an array', '{"query":["{ __typename }"]}'],
      ['query is an object', '{"query":{"kind":"Document"}}'],
      ['query is null', '{"query":null}'],
      ['operationName is an object', '{"query":"{ __typename }","operationName":{}}'],
      ['operationName is a number', '{"query":"{ __typename }","operationName":1}'],
      ['extensions is a string', '{"query":"{ __typename }","extensions":"x"}'],
      ['extensions is an array', '{"query":"{ __typename }","extensions":[]}'],
      ['duplicate query keys', '{"query":"{ __typename }","query":"{ me { id } }"}'],
      ['trailing garbage', '{"query":"{ __typename }"}xyz'],
      ['two objects', '{"query":"{ __typename }"}{"query":"{ __typename }"}'],
      ['single quotes', "{'query':'{ __typename }'}"],
      ['comments', '{"query":"{ __typename }" /* hi */}'],
      ['trailing comma', '{"query":"{ __typename }",}'],
      ['NaN', '{"query":"{ __typename }","variables":{"n":NaN}}'],
      ['1e400', '{"query":"query($n: Int) { cars(first: $n) { totalCount } }","variables":{"n":1e400}}'],
      ['-0', '{"query":"query($n: Int) { cars(first: $n) { totalCount } }","variables":{"n":-0}}'],
      ['lone surrogate escape', '{"query":"{ __typename }","operationName":"\\ud800"}'],
      ['bad escape', '{"query":"{ __typename \\x41 }"}'],
      ['__proto__ key', '{"__proto__":{"query":"{ __typename }"},"query":"{ __typename }"}'],
      ['constructor key', '{"constructor":{"prototype":{"query":1}},"query":"{ __typename }"}'],
      ['unicode line separators', '{"query":"{\u2028__typename\u2029}"}'],
    )
    .map(([what, text]) => hr('malformedJson', what, post(text)));
  return fc.oneof(truncated, invalidUtf8, nul, bom, deep, garbage, wrongShapes);
}

function contentTypeFamily(): fc.Arbitrary<HostileRequest> {
  const payload = body({ query: '{ __typename }' });
  const WRONG_TYPES = [
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'application/graphql',
    'application/graphql-response+json',
    'application/jsonx',
    'application/json-patch+json',
    'text/json',
    'application/xml',
    '*/*',
    'application/*',
    'json',
    '',
    ';charset=utf-8',
  ];
  const wrongType = fc
    .oneof(
      fc.constantFrom(...WRONG_TYPES),
      printableAscii(60).filter((value) => value.split(';')[0]!.trim().toLowerCase() !== 'application/json'),
    )
    .map((type) =>
      hr(
        'contentType',
        `content-type ${J(type)}`,
        { method: 'POST', path: '/graphql', headers: { 'content-type': type }, body: payload },
        [415],
      ),
    );
  const missing = fc.constant(
    hr('contentType', 'no content-type', { method: 'POST', path: '/graphql', headers: {}, body: payload }, [415]),
  );
  const formBody = fc.constant(
    hr(
      'contentType',
      'form-encoded body',
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `query=${pct('{ __typename }')}`,
      },
      [415],
    ),
  );
  const charset = fc
    .constantFrom('latin1', 'iso-8859-1', '"utf-16"', 'UTF-16LE', 'ascii', 'utf-32', 'cp1252', 'x', '')
    .map((cs) =>
      hr('contentType', `charset ${cs}`, post(payload, { 'content-type': `application/json; charset=${cs}` }), [415]),
    );
  const utf16 = fc.constant(
    hr(
      'contentType',
      'UTF-16LE body declared UTF-16',
      post(Buffer.from(payload, 'utf16le'), { 'content-type': 'application/json; charset=utf-16' }),
      [415],
    ),
  );
  const okVariants = fc
    .constantFrom(
      'APPLICATION/JSON',
      'application/json;charset=UTF-8',
      'application/json; charset="utf-8"',
      ' application/json ',
      'application/json; charset=utf8',
      'application/json; boundary=x',
      'application/json; charset=utf-8; charset=ascii',
    )
    .map((type) => hr('contentType', `content-type ${J(type)}`, post(payload, { 'content-type': type })));
  const encoding = fc
    .constantFrom(
      ['gzip', gzipSync(payload)],
      ['deflate', deflateSync(payload)],
      ['br', Buffer.from(payload)],
      ['GZIP', gzipSync(payload)],
      ['gzip, identity', gzipSync(payload)],
      ['compress', Buffer.from(payload)],
      ['x-random', Buffer.from(payload)],
      ['gzip', Buffer.from('not gzip at all')],
    )
    .map(([name, bytes]) =>
      hr('contentType', `content-encoding ${name}`, post(bytes, { 'content-encoding': name as string }), [415]),
    );
  const identity = fc
    .constantFrom('identity', 'IDENTITY', ' identity ')
    .map((name) =>
      hr('contentType', `content-encoding ${J(name)}`, post(payload, { 'content-encoding': name }), [200]),
    );
  const gzipBomb = fc.constant(
    hr(
      'contentType',
      'gzip bomb (10 MB of zeros)',
      post(gzipSync(Buffer.alloc(10 * MIB)), { 'content-encoding': 'gzip' }),
      [415],
    ),
  );
  return fc.oneof(wrongType, missing, formBody, charset, utf16, okVariants, encoding, identity, gzipBomb);
}

function methodFamily(): fc.Arbitrary<HostileRequest> {
  const payload = body({ query: '{ __typename }' });
  // node's client frames a GET or DELETE body with neither Content-Length nor chunking, so the body
  // would reach the server as a second, malformed request: declare its length.
  const framed = (text: string) => ({ ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(text)) });
  const wrongMethod = fc
    .record({
      method: fc.constantFrom('PUT', 'DELETE', 'PATCH'),
      withBody: fc.boolean(),
      path: fc.constantFrom('/graphql', '/graphql?query=%7B__typename%7D'),
    })
    .map(({ method, withBody, path }) =>
      hr(
        'method',
        `${method} ${path}${withBody ? ' with a body' : ''}`,
        { method, path, headers: withBody ? framed(payload) : JSON_HEADERS, ...(withBody ? { body: payload } : {}) },
        [405],
      ),
    );
  const getWithBody = fc.constant(
    hr(
      'method',
      'GET with a JSON body',
      { method: 'GET', path: '/graphql', headers: framed(payload), body: payload },
      [422],
    ),
  );
  const postWithQueryString = fc.constant(
    hr(
      'method',
      'POST with the query in the URL and none in the body',
      { method: 'POST', path: '/graphql?query=%7B__typename%7D', headers: JSON_HEADERS, body: '{}' },
      [422],
    ),
  );
  const paths = fc
    .constantFrom('/graphql/', '/GRAPHQL', '/graphql?', '/graphql?foo=bar', '/graphql?query=', '/graphql#fragment')
    .map((path) => hr('method', `POST ${path}`, { method: 'POST', path, headers: JSON_HEADERS, body: payload }));
  return fc.oneof(wrongMethod, getWithBody, postWithQueryString, paths);
}

function hugeDocumentFamily(limit: number, maxTokens: number, tokens: string[]): fc.Arbitrary<HostileRequest> {
  /** A body of exactly `size` bytes: the query and a padding key. */
  const padded = (size: number) => {
    const head = '{"query":"{ __typename }","padding":"';
    const tail = '"}';
    return head + 'x'.repeat(Math.max(0, size - head.length - tail.length)) + tail;
  };
  const overLimit = fc
    .integer({ min: limit + 1, max: limit + 150_000 })
    .map((size) => hr('hugeDocument', `body of ${size} bytes (over the limit)`, post(padded(size)), [413]));
  const atLimit = fc.integer({ min: -64, max: 64 }).map((delta) => {
    const size = limit + delta;
    return hr(
      'hugeDocument',
      `body of ${size} bytes (limit ${delta >= 0 ? '+' : ''}${delta})`,
      post(padded(size)),
      delta > 0 ? [413] : [200],
    );
  });
  const declaredOnly = fc
    .integer({ min: limit + 1, max: 50 * limit })
    .map((declared) =>
      hr(
        'hugeDocument',
        `content-length ${declared} declared, short body sent`,
        post('{"query":"{ __typename }"}', { 'content-length': String(declared) }),
        [413],
      ),
    );
  const chunkedOver = fc
    .integer({ min: limit + 1, max: Math.floor(limit * 1.1) })
    .map((size) =>
      hr(
        'hugeDocument',
        `chunked body of ${size} bytes (no content-length)`,
        post(padded(size), { 'transfer-encoding': 'chunked' }),
        [413],
      ),
    );
  const hugeComment = fc.integer({ min: Math.floor(limit * 0.9), max: limit - 64 }).map((size) => {
    const text = body({ query: `#${'c'.repeat(size - 40)}\n{ __typename }` });
    return hr('hugeDocument', `${text.length}-byte document, mostly a comment`, post(text), [200]);
  });
  const hugeString = fc
    .record({
      size: fc.integer({ min: 1000, max: limit - 200 }),
      token: tokenOption(tokens),
      field: fc.constantFrom('after', 'search'),
    })
    .map(({ size, token, field }) => {
      const query =
        field === 'after'
          ? `{ cars(first: 1, after: "${'A'.repeat(size)}") { totalCount } }`
          : `{ cars(first: 1, filter: { search: "${'s'.repeat(size)}" }) { totalCount } }`;
      return hr(
        'hugeDocument',
        `${size}-char string in ${field}${token ? ' (signed in)' : ''}`,
        post(body({ query }), auth(token)),
        [200, 294],
      );
    });
  const hugeVariable = fc
    .record({ size: fc.integer({ min: 1000, max: limit - 200 }), token: tokenOption(tokens) })
    .map(({ size, token }) =>
      hr(
        'hugeDocument',
        `${size}-char variable${token ? ' (signed in)' : ''}`,
        post(
          body({
            query: 'query($s: String) { cars(first: 1, filter: { brand: $s }) { totalCount } }',
            variables: { s: 'b'.repeat(size) },
          }),
          auth(token),
        ),
        [200, 294],
      ),
    );
  const manyTokens = fc
    .record({
      count: fc.oneof(
        fc.integer({ min: maxTokens - 20, max: maxTokens + 20 }),
        fc.integer({ min: maxTokens, max: 60_000 }),
      ),
      spelling: fc.constantFrom('fields', 'arguments', 'punctuators', 'aliases'),
    })
    .map(({ count, spelling }) => {
      const query =
        spelling === 'fields'
          ? `{ ${'__typename '.repeat(count)}}`
          : spelling === 'arguments'
            ? `{ cars(${Array.from({ length: Math.ceil(count / 3) }, (_, i) => `a${i}: 1`).join(' ')}) { totalCount } }`
            : spelling === 'punctuators'
              ? `{ __typename ${'@skip(if: false) '.repeat(Math.ceil(count / 6))}}`
              : `{ ${Array.from({ length: Math.ceil(count / 3) }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      // Over the token limit the parse stops (400); just under it, another limit or validation refuses it (422).
      return hr(
        'hugeDocument',
        `~${count} tokens (${spelling})`,
        post(body({ query })),
        count > maxTokens ? [400] : [400, 422],
      );
    });
  const manyVariables = fc.integer({ min: 1000, max: 40_000 }).map((count) => {
    const variables = Object.fromEntries(Array.from({ length: count }, (_, i) => [`v${i}`, i]));
    return hr('hugeDocument', `${count} unused variables`, post(body({ query: '{ __typename }', variables })));
  });
  return fc.oneof(
    { arbitrary: overLimit, weight: 2 },
    { arbitrary: atLimit, weight: 2 },
    { arbitrary: declaredOnly, weight: 1 },
    { arbitrary: chunkedOver, weight: 1 },
    { arbitrary: hugeComment, weight: 1 },
    { arbitrary: hugeString, weight: 2 },
    { arbitrary: hugeVariable, weight: 1 },
    { arbitrary: manyTokens, weight: 4 },
    { arbitrary: manyVariables, weight: 1 },
  );
}

function deepDocumentFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const depth = fc.oneof(fc.integer({ min: 10, max: 70 }), fc.integer({ min: 10, max: 3000 }));
  const SHAPES = [
    'selections',
    'real fields',
    'list value',
    'object value',
    'inline fragments',
    'unclosed',
    'parentheses',
    'variable type',
    'directives',
  ] as const;
  const chain = (levels: number) => {
    // costCenters → edges → node → cars → edges → node → costCenter → cars → edges → node → costCenter → ...
    let open = 'costCenters(first: 1) { edges { node { ';
    let close = '} } } ';
    let fieldDepth = 3;
    while (fieldDepth < levels) {
      open += 'cars(first: 1) { edges { node { costCenter { ';
      close += '} } } } ';
      fieldDepth += 4;
    }
    return `{ ${open}code ${close}}`;
  };
  const build = (shape: (typeof SHAPES)[number], d: number): string => {
    switch (shape) {
      case 'selections':
        return `{ ${'a { '.repeat(d)}b${' }'.repeat(d)} }`;
      case 'real fields':
        return chain(d);
      case 'list value':
        return `{ cars(filter: { brand: ${'['.repeat(d)}"x"${']'.repeat(d)} }) { totalCount } }`;
      case 'object value':
        return `{ cars(filter: ${'{ brand: '.repeat(d)}"x"${' }'.repeat(d)}) { totalCount } }`;
      case 'inline fragments':
        return `{ ${'... on Query { '.repeat(d)}__typename${' }'.repeat(d)} }`;
      case 'unclosed':
        return `{ ${'a { '.repeat(d)}`;
      case 'parentheses':
        return `{ cars${'('.repeat(d)}first: 1${')'.repeat(d)} { totalCount } }`;
      case 'variable type':
        return `query($v: ${'['.repeat(d)}Int${']'.repeat(d)}) { __typename }`;
      case 'directives':
        return `{ __typename ${'@include(if: true) '.repeat(d)}}`;
    }
  };
  return fc
    .record({
      d: depth,
      shape: fc.constantFrom(...SHAPES),
      token: tokenOption(tokens),
      transport: fc.constantFrom('post', 'post', 'post', 'get'),
    })
    .map(({ d, shape, token, transport }) => {
      const query = build(shape, d);
      const who = token ? ', signed in' : '';
      // Node answers a request line and headers over 16 KiB itself (431), before the gateway sees it.
      if (transport === 'get' && getPath([['query', query]]).length < 8000) {
        return hr(
          'deepDocument',
          `${shape} ${d} deep over GET${who}`,
          get([['query', query]], { 'apollo-require-preflight': 'true', ...auth(token) }),
        );
      }
      return hr('deepDocument', `${shape} ${d} deep${who}`, post(body({ query }), auth(token)));
    });
}

function fragmentChainFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      levels: fc.integer({ min: 5, max: 60 }),
      base: fc.constantFrom('typename', 'aliased', 'car fields', 'nested'),
      token: tokenOption(tokens),
      spreads: fc.constantFrom(2, 2, 3),
    })
    .map(({ levels, base, token, spreads }) => {
      const onType = base === 'car fields' || base === 'nested' ? 'Car' : 'Query';
      const leaf = {
        typename: '__typename',
        aliased: 'x: __typename',
        'car fields': 'id brand model',
        nested: 'costCenter { code }',
      }[base];
      const fragments = [`fragment F0 on ${onType} { ${leaf} }`];
      for (let i = 1; i <= levels; i++) {
        fragments.push(
          `fragment F${i} on ${onType} { ${Array.from({ length: spreads }, () => `...F${i - 1}`).join(' ')} }`,
        );
      }
      const operation =
        onType === 'Query'
          ? `query Chain { ...F${levels} }`
          : `query Chain { cars(first: 2) { edges { node { ...F${levels} } } } }`;
      const query = `${operation}\n${fragments.join('\n')}`;
      return hr(
        'fragmentChain',
        `${levels}-level chain ×${spreads} (${base})${token ? ', signed in' : ''}`,
        post(body({ query }), auth(token)),
        levels * Math.log2(spreads) > 10 ? [422, 400] : undefined,
      );
    });
}

function fragmentCycleFamily(): fc.Arbitrary<HostileRequest> {
  const cycle = fc
    .record({
      length: fc.integer({ min: 1, max: 50 }),
      reachable: fc.boolean(),
      extra: fc.boolean(),
      onCar: fc.boolean(),
    })
    .map(({ length, reachable, extra, onCar }) => {
      const type = onCar ? 'Car' : 'Query';
      const fragments = Array.from(
        { length },
        (_, i) => `fragment C${i} on ${type} { ${extra ? '__typename ' : ''}...C${(i + 1) % length} }`,
      );
      const entry = onCar
        ? `cars { edges { node { ${reachable ? '...C0' : 'id'} } } }`
        : reachable
          ? '...C0'
          : '__typename';
      const query = `query Cycle { ${entry} }\n${fragments.join('\n')}`;
      return hr(
        'fragmentCycle',
        `${length === 1 ? 'direct' : `${length}-step`} cycle on ${type}${reachable ? '' : ', unreachable'}`,
        post(body({ query })),
        [422],
      );
    });
  const fixed = fc
    .constantFrom(
      [
        'cycle through an inline fragment',
        'query { ...A } fragment A on Query { ... on Query { ...B } } fragment B on Query { ...A }',
      ],
      [
        'cycle through a field',
        'query { ...A } fragment A on Query { me { ...U } } fragment U on User { managedCostCenters { manager { ...U } } }',
      ],
      ['self-spread twice', 'query { ...A } fragment A on Query { ...A ...A }'],
      ['unknown fragment', 'query { ...Nope }'],
      [
        'duplicate fragment names',
        'query { ...A } fragment A on Query { __typename } fragment A on Query { __typename }',
      ],
      ['fragment on an unknown type', 'query { ...A } fragment A on Nope { __typename }'],
      ['unused fragment', 'query { __typename } fragment A on Query { __typename }'],
      ['fragment on a scalar', 'query { ...A } fragment A on String { length }'],
      ['spread on the wrong type', 'query { ...A } fragment A on Car { id }'],
    )
    .map(([what, query]) => hr('fragmentCycle', what, post(body({ query })), [422]));
  return fc.oneof(cycle, fixed);
}

function aliasBombFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      count: fc.oneof(fc.integer({ min: 40, max: 60 }), fc.integer({ min: 1, max: 20_000 })),
      field: fc.constantFrom(
        '__typename',
        'cars(first: 100) { totalCount }',
        'me { id }',
        'cars { edges { node { id } } }',
        '__schema { types { name } }',
      ),
      token: tokenOption(tokens),
      nested: fc.boolean(),
    })
    .map(({ count, field, token, nested }) => {
      const query = nested
        ? `{ cars(first: 1) { edges { node { costCenter { ${Array.from({ length: count }, (_, i) => `a${i}: code`).join(' ')} } } } } }`
        : `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
      const what = nested ? 'costCenter.code' : field.split(' ')[0];
      return hr(
        'aliasBomb',
        `${count} aliases of ${what}${nested ? ' (nested)' : ''}${token ? ', signed in' : ''}`,
        post(body({ query }), auth(token)),
        count > 50 ? [422, 400] : [200, 294],
      );
    });
}

function variablesFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const FIRST = 'query Page($n: Int) { cars(first: $n) { totalCount edges { node { id } } } }';
  const weirdN = fc.oneof(
    fc.constantFrom<unknown>(
      1e20,
      2 ** 31,
      2 ** 31 - 1,
      2 ** 53,
      -1,
      -(2 ** 31),
      -(2 ** 53),
      0,
      101,
      1.5,
      -0.5,
      '10',
      'abc',
      '',
      null,
      true,
      [],
      [5],
      {},
      { n: 1 },
      1e308,
      5e-324,
    ),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    printableAscii(20),
  );
  const nValue = fc
    .record({ n: weirdN, token: tokenOption(tokens) })
    .map(({ n, token }) =>
      hr(
        'variables',
        `first: $n with n = ${J(n)?.slice(0, 30)}${token ? ', signed in' : ''}`,
        post(body({ query: FIRST, variables: { n } }), auth(token)),
      ),
    );
  const rawN = fc
    .constantFrom('1e400', '-1e400', '123456789012345678901234567890', '0.0000001', '1E2', '-0')
    .map((raw) =>
      hr('variables', `first: $n with n = ${raw} (raw JSON)`, post(`{"query":${J(FIRST)},"variables":{"n":${raw}}}`)),
    );
  const defaults = fc
    .record({
      value: fc.constantFrom(
        '100000',
        '2147483648',
        '-5',
        '0',
        '"x"',
        'null',
        '1.5',
        '[1]',
        '{ a: 1 }',
        '$m',
        '99999999999999999999',
      ),
      nonNull: fc.boolean(),
      send: fc.boolean(),
      token: tokenOption(tokens),
    })
    .map(({ value, nonNull, send, token }) => {
      const query = `query($n: Int${nonNull ? '!' : ''} = ${value}) { cars(first: $n) { totalCount } }`;
      return hr(
        'variables',
        `default $n = ${value}${nonNull ? ' (non-null)' : ''}${send ? ', n sent' : ''}${token ? ', signed in' : ''}`,
        post(body({ query, ...(send ? { variables: { n: 3 } } : {}) }), auth(token)),
      );
    });
  const undeclared = fc
    .constantFrom(
      '{ cars(first: $n) { totalCount } }',
      'query { cars(first: $n) { totalCount } }',
      'query($m: Int) { cars(first: $n) { totalCount } }',
      'query($n: Int, $n: Int) { cars(first: $n) { totalCount } }',
      'query($n: String) { cars(first: $n) { totalCount } }',
      'query($n: Nope) { cars(first: $n) { totalCount } }',
      'query($n: Car) { cars(first: $n) { totalCount } }',
      'query($n: [Int]) { cars(first: $n) { totalCount } }',
      'query($n: Int) { __typename }',
      'query($__proto__: Int) { cars(first: $__proto__) { totalCount } }',
      'query($constructor: Int) { cars(first: $constructor) { totalCount } }',
      'query($toString: Int, $valueOf: Int) { cars(first: $toString) { totalCount } }',
      'query($hasOwnProperty: Int) { cars(first: $hasOwnProperty) { totalCount } }',
    )
    .chain((query) =>
      fc
        .constantFrom<unknown>({ n: 5 }, {}, { n: 1e9 }, { __proto__: 5 }, JSON.parse('{"__proto__":{"n":1000000}}'), {
          constructor: 10_000,
          toString: 1e9,
        })
        .map((variables) =>
          hr(
            'variables',
            `${query.slice(0, 48)} with ${J(variables)}`,
            post(body({ query, variables })),
            [422, 200, 294],
          ),
        ),
    );
  const notAnObject = fc
    .constantFrom<unknown>([1, 2], 'n=5', 5, true, [], [{ n: 1 }])
    .map((variables) => hr('variables', `variables = ${J(variables)}`, post(body({ query: FIRST, variables })), [422]));
  const variablesAsString = fc.constant(
    hr('variables', 'variables as a JSON string', post(body({ query: FIRST, variables: J({ n: 1 }) })), [422]),
  );
  const deepVariables = fc.integer({ min: 5, max: 3000 }).map((depth) => {
    const filter = `${'{"brand":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
    return hr(
      'variables',
      `filter variable nested ${depth} deep`,
      post(`{"query":"query($f: CarFilter) { cars(filter: $f) { totalCount } }","variables":{"f":${filter}}}`),
      [400, 422],
    );
  });
  const wrongInput = fc
    .record({
      f: fc.constantFrom<unknown>(
        { nope: 1 },
        { brand: 5 },
        { brand: ['a'] },
        'BRAND',
        { brand: null, search: {} },
        { costCenterId: 'not-a-uuid' },
        { search: '%' },
        { search: '_' },
        { search: '\\' },
      ),
      token: tokenOption(tokens),
    })
    .map(({ f, token }) =>
      hr(
        'variables',
        `filter = ${J(f)}${token ? ', signed in' : ''}`,
        post(
          body({ query: 'query($f: CarFilter) { cars(first: 3, filter: $f) { totalCount } }', variables: { f } }),
          auth(token),
        ),
      ),
    );
  const nestedPages = fc.record({ a: weirdN, b: weirdN, token: tokenOption(tokens) }).map(({ a, b, token }) =>
    hr(
      'variables',
      `nested pages a=${J(a)?.slice(0, 16)} b=${J(b)?.slice(0, 16)}${token ? ', signed in' : ''}`,
      post(
        body({
          query:
            'query($a: Int, $b: Int) { costCenters(first: $a) { edges { node { cars(first: $b) { edges { node { history(first: $b) { totalCount } } } } } } } }',
          variables: { a, b },
        }),
        auth(token),
      ),
    ),
  );
  return fc.oneof(
    { arbitrary: nValue, weight: 4 },
    { arbitrary: rawN, weight: 1 },
    { arbitrary: defaults, weight: 2 },
    { arbitrary: undeclared, weight: 2 },
    { arbitrary: notAnObject, weight: 1 },
    { arbitrary: variablesAsString, weight: 1 },
    { arbitrary: deepVariables, weight: 1 },
    { arbitrary: wrongInput, weight: 2 },
    { arbitrary: nestedPages, weight: 2 },
  );
}

/** How a page size reaches {@link nullPagesQuery}: the variable's declaration and what the request sends. */
interface NullPages {
  /** `$n`'s declared type and default, or a literal argument instead of a variable. */
  declaration:
    '$n: Int = 0' | '$n: Int = null' | '$n: Int' | '$n: Int = 1' | '$n: Int! = 0' | 'literal null' | 'literal 1';
  /** `n` in the request's variables; undefined leaves it out. */
  n: number | null | undefined;
}

/**
 * The page size execution will use for a {@link NullPages} request, when its variables
 * coerce: an explicit or defaulted null and an absent argument are the default page (20).
 */
function effectivePage({ declaration, n }: NullPages): number | 'not coercible' {
  if (declaration === 'literal null') return 20;
  if (declaration === 'literal 1') return 1;
  if (declaration === '$n: Int! = 0' && n === null) return 'not coercible';
  if (n !== undefined) return n ?? 20;
  const declared = declaration.split('= ')[1];
  return declared === undefined || declared === 'null' ? 20 : Number(declared);
}

/** Whether {@link nullPagesQuery} with this page size costs more than the default MAX_QUERY_COST. */
const overCost = (page: number) => 50 * (1 + page * (4 + 2 * page)) > 10_000;

/**
 * Explicit nulls and variables coerced by execution, over every transport (POST, GET,
 * an automatic persisted query sent with its text, then by hash over POST and GET):
 * the cost limit must price the page execution will really fetch, so whatever makes
 * it the default page of 20 (n sent as null, a null default, a literal null, no
 * default) is refused with 422 (a limit is a validation rule), however it is sent. Also explicit nulls inside input
 * objects and non-null variables sent null (a coercion error, never a 500).
 */
function coercedVariablesFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  // Pages that pass are kept small: 50 aliases of even one car each are real work for the subgraphs.
  const page = fc.oneof(fc.constant(null), fc.constant(undefined), fc.constantFrom(0, 1, 20, 100));
  const shape: fc.Arbitrary<NullPages> = fc.record({
    declaration: fc.constantFrom<NullPages['declaration']>(
      '$n: Int = 0',
      '$n: Int = null',
      '$n: Int',
      '$n: Int = 1',
      '$n: Int! = 0',
      'literal null',
      'literal 1',
    ),
    n: page,
  });
  const expected = (pages: NullPages): number[] | undefined => {
    const effective = effectivePage(pages);
    return effective !== 'not coercible' && overCost(effective) ? [422] : undefined;
  };
  const withText = fc
    .record({ pages: shape, token: tokenOption(tokens), transport: fc.constantFrom('POST', 'GET', 'APQ') })
    .map(({ pages, token, transport }) => {
      const literal = pages.declaration.startsWith('literal ');
      const query = literal
        ? nullPagesQuery('', pages.declaration.slice('literal '.length))
        : nullPagesQuery(pages.declaration);
      const variables = pages.n === undefined ? {} : { n: pages.n };
      const what = `50 aliases, ${pages.declaration}, n ${pages.n === undefined ? 'left out' : `= ${J(pages.n)}`}${token ? ', signed in' : ''} (${transport})`;
      if (transport === 'GET') {
        return hr(
          'coercedVariables',
          what,
          get(
            [
              ['query', query],
              ['variables', J(variables)],
            ],
            { 'apollo-require-preflight': 'true', ...auth(token) },
          ),
          expected(pages),
        );
      }
      const extensions =
        transport === 'APQ' ? { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } } : {};
      return hr(
        'coercedVariables',
        what,
        post(body({ query, variables, ...extensions }), auth(token)),
        expected(pages),
      );
    });
  const byHash = fc
    .record({ n: page, token: tokenOption(tokens), transport: fc.constantFrom('APQ by hash', 'APQ by GET') })
    .map(({ n, token, transport }) => {
      const extensions = { persistedQuery: { version: 1, sha256Hash: sha256Hex(APQ_NULL_PAGES) } };
      const variables = n === undefined ? {} : { n };
      const status = expected({ declaration: '$n: Int = 0', n });
      const what = `registered 50 aliases, n ${n === undefined ? 'left out' : `= ${J(n)}`}${token ? ', signed in' : ''} (${transport})`;
      if (transport === 'APQ by GET') {
        return hr(
          'coercedVariables',
          what,
          get(
            [
              ['extensions', J(extensions)],
              ['variables', J(variables)],
            ],
            { 'apollo-require-preflight': 'true', ...auth(token) },
          ),
          status,
        );
      }
      return hr('coercedVariables', what, post(body({ variables, extensions } as Operation), auth(token)), status);
    });
  const inputNulls = fc
    .record({
      variables: fc.constantFrom<Record<string, unknown>>(
        { f: null, o: null },
        { f: { brand: null, search: null }, o: { field: null, direction: null } },
        { f: { costCenterId: null }, o: { field: 'BRAND', direction: null } },
        {},
      ),
      token: tokenOption(tokens),
    })
    .map(({ variables, token }) =>
      hr(
        'coercedVariables',
        `nulls in input objects ${J(variables)}${token ? ', signed in' : ''}`,
        post(
          body({
            query:
              'query($f: CarFilter = { brand: "x" }, $o: CarOrderBy) { cars(first: 2, filter: $f, orderBy: $o) { totalCount } }',
            variables,
          }),
          auth(token),
        ),
      ),
    );
  return fc.oneof(
    { arbitrary: withText, weight: 4 },
    { arbitrary: byHash, weight: 2 },
    { arbitrary: inputNulls, weight: 1 },
  );
}

/** `count` requests of the explicit-null family alone (see coercedVariablesFamily), the same ones for the same seed. */
export function coercedVariablesRequests(count: number, seed: number, options: HostileOptions = {}): HostileRequest[] {
  return fc.sample(coercedVariablesFamily(Object.values(options.tokens ?? {})), { seed, numRuns: count });
}

function apqFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const query = '{ __typename }';
  const hash = sha256Hex(query);
  const ext = (persistedQuery: unknown) => ({ persistedQuery });
  const wrongVersion = fc
    .constantFrom<unknown>(0, 2, '1', null, -1, 1.5, true, [1], undefined)
    .map((version) =>
      hr(
        'apq',
        `version ${J(version) ?? 'missing'}`,
        post(body({ query, extensions: ext({ version, sha256Hash: hash }) })),
        [400],
      ),
    );
  const badHash = fc
    .oneof(
      fc.constantFrom<unknown>(
        hash.toUpperCase(),
        hash.slice(1),
        `${hash}0`,
        hash.replace(/[0-9]/g, 'g'),
        '',
        null,
        42,
        [hash],
        { hash },
        `${hash.slice(0, 63)}\u00e9`,
      ),
      printableAscii(80),
    )
    .map((sha256Hash) =>
      hr(
        'apq',
        `bad hash ${J(sha256Hash)?.slice(0, 30)}`,
        post(body({ query, extensions: ext({ version: 1, sha256Hash }) })),
        [400],
      ),
    );
  const mismatch = fc
    .constantFrom(...VALID_OPERATIONS.map((op) => op.query))
    .map((other) =>
      hr(
        'apq',
        `hash of another query (${other.slice(0, 30)})`,
        post(body({ query: `${other} `, extensions: ext({ version: 1, sha256Hash: sha256Hex(other) }) })),
        [400],
      ),
    );
  const unknown = fc
    .record({ bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }), transport: fc.constantFrom('post', 'get') })
    .map(({ bytes, transport }) => {
      const extensions = ext({ version: 1, sha256Hash: Buffer.from(bytes).toString('hex') });
      return transport === 'post'
        ? hr('apq', 'unknown hash, no query', post(body({ extensions } as Operation)), [404])
        : hr('apq', 'unknown hash over GET', get([['extensions', J(extensions)]]), [404]);
    });
  const registered = fc
    .record({
      query: fc.constantFrom(...APQ_REGISTERED_QUERIES),
      n: fc.oneof(fc.constantFrom<unknown>(1e9, -1, 'x', null, 2 ** 31, 100, 101), fc.integer({ min: 0, max: 100 })),
      token: tokenOption(tokens),
      transport: fc.constantFrom('post', 'get'),
      operationName: fc.constantFrom<unknown>(undefined, undefined, 'Nope', 'ApqCars', 5),
    })
    .map(({ query: registeredQuery, n, token, transport, operationName }) => {
      const extensions = ext({ version: 1, sha256Hash: sha256Hex(registeredQuery) });
      const what = `registered hash only, n = ${J(n)}${operationName !== undefined ? `, operationName ${J(operationName)}` : ''}${token ? ', signed in' : ''}`;
      if (transport === 'get') {
        const params: [string, string][] = [
          ['extensions', J(extensions)],
          ['variables', J({ n })],
        ];
        if (typeof operationName === 'string') params.push(['operationName', operationName]);
        return hr('apq', `${what} (GET)`, get(params, { 'apollo-require-preflight': 'true', ...auth(token) }));
      }
      return hr('apq', what, post(body({ extensions, variables: { n }, operationName } as Operation), auth(token)));
    });
  const notAnObject = fc
    .constantFrom<unknown>('x', 5, [], null, true, [{ version: 1, sha256Hash: hash }])
    .map((persistedQuery) =>
      hr('apq', `persistedQuery = ${J(persistedQuery)}`, post(body({ query, extensions: ext(persistedQuery) })), [400]),
    );
  const fresh = fc
    .record({ name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/), good: fc.boolean() })
    .map(({ name, good }) => {
      const text = good
        ? `query ${name} { __typename }`
        : `query ${name} { ${Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      return hr(
        'apq',
        good ? 'registers a new small query' : 'tries to register a query over the limits',
        post(body({ query: text, extensions: ext({ version: 1, sha256Hash: sha256Hex(text) }) })),
        good ? [200] : [422],
      );
    });
  return fc.oneof(wrongVersion, badHash, mismatch, unknown, registered, notAnObject, fresh);
}

function getFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const q = '{ __typename }';
  const preflight = { 'apollo-require-preflight': 'true' };
  const csrf = fc
    .constantFrom<[string, Record<string, string>, number[] | undefined]>(
      ['no preflight header', {}, [400]],
      ['text/plain, no preflight', { 'content-type': 'text/plain' }, [400]],
      ['form content type, no preflight', { 'content-type': 'application/x-www-form-urlencoded' }, [400]],
      ['multipart, no preflight', { 'content-type': 'multipart/form-data' }, [400]],
      ['empty preflight header', { 'apollo-require-preflight': '' }, [400]],
      ['json content type', { 'content-type': 'application/json' }, [200]],
      ['x-apollo-operation-name', { 'x-apollo-operation-name': 'x' }, [200]],
      ['preflight header', preflight, [200]],
      ['odd content type', { 'content-type': 'application/octet-stream' }, [200]],
    )
    .map(([what, headers, expect]) => hr('get', `GET with ${what}`, get([['query', q]], headers), expect));
  const mutation = fc
    .constantFrom(
      'mutation { logout }',
      `mutation { deleteCar(id: "${UNKNOWN_ID}") }`,
      'mutation M { login(username: "x", password: "y") { token } }',
      'query A { __typename } mutation B { logout }',
    )
    .chain((text) =>
      fc
        .record({ token: tokenOption(tokens), name: fc.constantFrom<string | undefined>(undefined, 'B', 'A') })
        .map(({ token, name }) => {
          const params: [string, string][] = [['query', text]];
          if (name) params.push(['operationName', name]);
          return hr(
            'get',
            `mutation over GET: ${text.slice(0, 30)}${name ? ` (${name})` : ''}`,
            get(params, { ...preflight, ...auth(token) }),
          );
        }),
    );
  const duplicates = fc
    .constantFrom<[string, [string, string][]]>(
      [
        'two queries',
        [
          ['query', q],
          ['query', '{ me { id } }'],
        ],
      ],
      [
        'two variables',
        [
          ['query', q],
          ['variables', '{}'],
          ['variables', '{"n":1}'],
        ],
      ],
      [
        'two operationNames',
        [
          ['query', q],
          ['operationName', 'A'],
          ['operationName', 'B'],
        ],
      ],
      [
        'two extensions',
        [
          ['query', q],
          ['extensions', '{}'],
          ['extensions', '{}'],
        ],
      ],
    )
    .map(([what, params]) => hr('get', `GET with ${what}`, get(params), [422]));
  const badParams = fc
    .constantFrom<[string, [string, string][], number[] | undefined]>(
      [
        'variables not JSON',
        [
          ['query', q],
          ['variables', '{'],
        ],
        [400],
      ],
      [
        'variables an array',
        [
          ['query', q],
          ['variables', '[1]'],
        ],
        [422],
      ],
      [
        'variables a string',
        [
          ['query', q],
          ['variables', '"x"'],
        ],
        [422],
      ],
      [
        'variables null',
        [
          ['query', q],
          ['variables', 'null'],
        ],
        [200],
      ],
      [
        'variables empty',
        [
          ['query', q],
          ['variables', ''],
        ],
        [200],
      ],
      [
        'extensions not JSON',
        [
          ['query', q],
          ['extensions', 'nope'],
        ],
        [400],
      ],
      [
        'extensions an array',
        [
          ['query', q],
          ['extensions', '[]'],
        ],
        [422],
      ],
      ['no query', [['operationName', 'A']], [422]],
      ['empty query', [['query', '']], [422]],
      [
        'deep variables',
        [
          ['query', q],
          ['variables', `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`],
        ],
        [400],
      ],
      [
        'variables with a lone surrogate',
        [
          ['query', 'query($s: String) { cars(filter: { brand: $s }) { totalCount } }'],
          ['variables', '{"s":"\\ud800"}'],
        ],
        [200, 294],
      ],
      [
        'unknown parameter',
        [
          ['query', q],
          ['foo', 'bar'],
        ],
        [200],
      ],
    )
    .map(([what, params, expect]) => hr('get', `GET with ${what}`, get(params), expect));
  const rawPaths = fc
    .constantFrom(
      '/graphql?query=%',
      '/graphql?query=%E0%A4%A',
      '/graphql?query=%FF%FE',
      '/graphql?query={__typename}',
      '/graphql?query=%7B__typename%7D&&&',
      '/graphql?=&=&query=%7B__typename%7D',
      '/graphql?query',
      '/graphql?query=%7B+__typename+%7D',
      '/graphql?query=%7B%00__typename%7D',
      '/graphql?variables=%7B%7D',
      '/graphql?extensions=%7B%22persistedQuery%22%3A1%7D',
      '/graphql?query=%7B__typename%7D&variables=%7B%22__proto__%22%3A%7B%7D%7D',
    )
    .map((path) => hr('get', `GET ${path}`, { method: 'GET', path, headers: preflight }));
  const randomQuery = fc
    .oneof(printableAscii(200), fc.string({ unit: 'grapheme', maxLength: 60 }))
    .map((text) => hr('get', `GET random query ${J(text).slice(0, 30)}`, get([['query', text]])));
  return fc.oneof(csrf, mutation, duplicates, badParams, rawPaths, randomQuery);
}

function batchFamily(): fc.Arbitrary<HostileRequest> {
  const single = body({ query: '{ __typename }' });
  return fc.oneof(
    fc
      .integer({ min: 0, max: 200 })
      .map((count) =>
        hr('batch', `batch of ${count}`, post(`[${Array.from({ length: count }, () => single).join(',')}]`), [422]),
      ),
    fc
      .constantFrom(
        '[1,2]',
        '[[]]',
        '[null]',
        '[[{"query":"{ __typename }"}]]',
        '[{}]',
        '["{ __typename }"]',
        '[{"query":"mutation { logout }"}]',
      )
      .map((text) => hr('batch', `batch ${text}`, post(text), [422])),
  );
}

function authorizationFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const query = body({ query: '{ me { id username } cars(first: 1) { totalCount } }' });
  const jwtHeaders = fc.constantFrom<unknown>(
    { alg: 'none', typ: 'JWT' },
    { alg: 'None' },
    { alg: 'HS256', typ: 'JWT' },
    { alg: 'RS256', kid: 'x' },
    { alg: 'EdDSA' },
    { alg: 'EdDSA', kid: 'does-not-exist' },
    { alg: 'EdDSA', crit: ['exp'], exp: 1 },
    { alg: 'EdDSA', b64: false, crit: ['b64'] },
    { alg: 'EdDSA', jku: 'http://127.0.0.1:1/keys' },
    { alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } },
    { alg: 'ES256' },
    { alg: 'PS512' },
    { alg: 'A128KW', enc: 'A128GCM' },
    { alg: 123 },
    null,
    [],
    'EdDSA',
    { alg: 'EdDSA', kid: { $ne: null } },
    { alg: 'EdDSA', kid: '../../../../dev/null' },
    { alg: 'EdDSA', x5u: 'http://127.0.0.1:1/cert' },
  );
  const now = 1_790_000_000;
  const jwtPayloads = fc.constantFrom<unknown>(
    {
      sub: ADMIN_ID,
      jti: 'forged',
      iat: now,
      exp: now + 3600,
      iss: DEFAULT_TOKEN_ISSUER,
      aud: DEFAULT_TOKEN_AUDIENCE,
      scope: 'admin',
    },
    { sub: ADMIN_ID, jti: 'x', iat: 0, exp: 1, iss: DEFAULT_TOKEN_ISSUER, aud: DEFAULT_TOKEN_AUDIENCE },
    { sub: ADMIN_ID },
    { sub: '', jti: '', iat: 'now', exp: 'later' },
    { sub: { $gt: '' }, jti: [], exp: 1e308, iat: -1 },
    {},
    null,
    42,
    'payload',
    { iss: 'https://evil.example', aud: ['x', DEFAULT_TOKEN_AUDIENCE], sub: ADMIN_ID, exp: 9e15, iat: now, jti: 'j' },
  );
  const segment = fc.oneof(
    fc.uint8Array({ maxLength: 96 }).map((bytes) => b64url(Buffer.from(bytes))),
    fc.constantFrom('', 'AAAA', '====', 'not base64 at all', '!!!', '.'),
  );
  const jwtLike = fc
    .record({
      header: jwtHeaders,
      payload: jwtPayloads,
      signature: segment,
      encodeHeader: fc.constantFrom('json', 'json', 'raw'),
    })
    .map(({ header, payload, signature, encodeHeader }) => {
      const h = encodeHeader === 'json' ? b64url(J(header) ?? '') : b64url(String(header));
      const token = `${h}.${b64url(J(payload) ?? '')}.${signature}`;
      const alg =
        header && typeof header === 'object' && 'alg' in header ? String((header as { alg: unknown }).alg) : J(header);
      return hr(
        'authorization',
        `forged JWT alg ${alg}, payload ${J(payload)?.slice(0, 24)}`,
        post(query, { authorization: `Bearer ${token}` }),
        [401],
      );
    });
  const randomSegments = fc
    .array(segment, { minLength: 1, maxLength: 6 })
    .map((parts) =>
      hr(
        'authorization',
        `Bearer with ${parts.length} random segments`,
        post(query, { authorization: headerSafe(`Bearer ${parts.join('.')}`) }),
        [401],
      ),
    );
  const randomHeader = fc
    .oneof(
      printableAscii(120),
      fc
        .string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 })
        .map((s) => `Bearer ${s}`),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'Bearer  ',
        'bearer',
        'Basic dXNlcjpwYXNz',
        'Digest username="admin"',
        'Bearer null',
        'Bearer undefined',
        'Bearer [object Object]',
        'Token abc',
        'Bearer a b',
        'Bearer a,Bearer b',
        `Bearer ${'a'.repeat(4097)}`,
        `Bearer ${'a.'.repeat(2000)}a`,
        '',
      ),
    )
    .map((value) =>
      hr('authorization', `authorization ${J(value).slice(0, 40)}`, post(query, { authorization: headerSafe(value) })),
    );
  const tampered =
    tokens.length === 0
      ? []
      : [
          fc
            .record({
              token: fc.constantFrom(...tokens),
              how: fc.constantFrom(
                'flip last char',
                'drop signature',
                'swap payload',
                'lower-case scheme',
                'no scheme',
                'double space',
                'trailing space',
                'alg none',
                'two tokens',
                'prefix',
              ),
            })
            .map(({ token, how }) => {
              const [h = '', p = '', s = ''] = token.split('.');
              const other = tokens.find((t) => t !== token) ?? token;
              const value = {
                'flip last char': `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
                'drop signature': `Bearer ${h}.${p}.`,
                'swap payload': `Bearer ${h}.${other.split('.')[1] ?? ''}.${s}`,
                'lower-case scheme': `bearer ${token}`,
                'no scheme': token,
                'double space': `Bearer  ${token}`,
                'trailing space': `Bearer ${token} `,
                'alg none': `Bearer ${b64url(J({ alg: 'none' }))}.${p}.`,
                'two tokens': `Bearer ${token}, Bearer ${other}`,
                prefix: `Bearer x${token}`,
              }[how];
              // A trailing space is trimmed by HTTP itself; 'flip last char' may still verify when only padding bits change.
              const uncertain =
                ['trailing space', 'lower-case scheme', 'double space', 'flip last char'].includes(how) ||
                (how === 'swap payload' && other === token);
              const expect = uncertain ? undefined : [401];
              return hr('authorization', `seeded token, ${how}`, post(query, { authorization: value }), expect);
            }),
        ];
  return fc.oneof(jwtLike, randomSegments, randomHeader, ...tampered);
}

function headersFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const payload = body({ query: '{ __typename }' });
  const requestId = fc
    .oneof(
      fc.integer({ min: 120, max: 8000 }).map((n) => 'r'.repeat(n)),
      printableAscii(200, 1),
      fc.string({
        unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
        minLength: 1,
        maxLength: 40,
      }),
      fc.constantFrom(' ', 'a b', '\t', 'id\twith\ttabs', '<script>', '{"json":1}', '../../x'),
    )
    .map((id) =>
      hr(
        'headers',
        `x-request-id of ${id.length} chars ${J(id.slice(0, 16))}`,
        post(payload, { 'x-request-id': id }),
        [200],
      ),
    );
  const accept = fc
    .record({
      accept: fc.constantFrom(
        'text/html',
        'application/xml',
        'application/graphql-response+json',
        'multipart/mixed; deferSpec=20220824',
        'multipart/mixed',
        '*/*',
        'text/event-stream',
        '',
        'application/json;q=0',
        'garbage;;;',
        'application/graphql-response+json;q=0, application/json;q=0',
      ),
      token: tokenOption(tokens),
      deferred: fc.boolean(),
    })
    .map(({ accept: value, token, deferred }) => {
      const query = deferred
        ? '{ cars(first: 1) { totalCount ... @defer { edges { node { id } } } } }'
        : '{ cars(first: 1) { totalCount } }';
      return hr(
        'headers',
        `accept ${J(value)}${deferred ? ' with @defer' : ''}${token ? ', signed in' : ''}`,
        post(body({ query }), { accept: value, ...auth(token) }),
      );
    });
  const many = fc
    .record({ count: fc.integer({ min: 10, max: 100 }), value: printableAscii(40) })
    .map(({ count, value }) =>
      hr(
        'headers',
        `${count} extra headers`,
        post(payload, Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-extra-${i}`, value]))),
        [200],
      ),
    );
  const odd = fc
    .constantFrom<[string, Record<string, string>]>(
      ['expect: 100-continue', { expect: '100-continue' }],
      ['x-forwarded-for spoofed', { 'x-forwarded-for': '1.2.3.4, 5.6.7.8' }],
      ['forwarded host', { 'x-forwarded-host': 'evil.example', forwarded: 'for=1.2.3.4;host=evil' }],
      ['host header', { host: 'evil.example:1' }],
      ['evil origin', { origin: 'https://evil.example' }],
      ['null origin', { origin: 'null' }],
      ['garbage cookie', { cookie: 'a=b; c; ;; =d' }],
      ['connection: close', { connection: 'close' }],
      ['upgrade: websocket', { connection: 'upgrade', upgrade: 'websocket' }],
      ['x-http-method-override', { 'x-http-method-override': 'DELETE' }],
      [
        'apollographql-client-name',
        { 'apollographql-client-name': 'evil', 'apollographql-client-version': '0.0.0-\u00ff' },
      ],
      ['range', { range: 'bytes=0-1' }],
      ['if-none-match', { 'if-none-match': '*' }],
      ['content-type with huge parameter', { 'content-type': `application/json; x=${'y'.repeat(6000)}` }],
      ['x-apollo-operation-name with latin1', { 'x-apollo-operation-name': '\u00e9\u00ff' }],
    )
    .map(([what, headers]) => hr('headers', what, post(payload, headers)));
  return fc.oneof(requestId, accept, many, odd);
}

function operationsFamily(): fc.Arbitrary<HostileRequest> {
  const two = 'query A { __typename } query B { me { id } }';
  const select = fc
    .constantFrom<unknown>(
      undefined,
      'A',
      'B',
      'C',
      '',
      ' A',
      'a',
      null,
      5,
      {},
      ['A'],
      'A'.repeat(5000),
      '__proto__',
      'constructor',
    )
    .chain((operationName) =>
      fc
        .constantFrom(
          two,
          '{ __typename } query A { __typename }',
          'query A { __typename } query A { me { id } }',
          'query A { __typename } mutation A { logout }',
          'query A { __typename } subscription B { __typename }',
        )
        .map((query) =>
          hr(
            'operations',
            `${query.slice(0, 30)} with operationName ${J(operationName)?.slice(0, 20) ?? 'missing'}`,
            post(body({ query, operationName })),
          ),
        ),
    );
  const noOperation = fc
    .constantFrom(
      '',
      '   ',
      '# just a comment',
      'fragment A on Query { __typename }',
      'type Foo { a: Int }',
      'schema { query: Query }',
      'extend type Query { evil: Int }',
      'directive @x on FIELD',
      'scalar X',
      '{ __typename } type Foo { a: Int }',
      '{}',
      '{ }',
      'query',
      'query {',
      '}',
      '{ __typename }}',
      '"""doc""" { __typename }',
      '{ __typename @nope }',
      '{ __typename @skip }',
      '{ __typename @skip(if: true) }',
      '{ __typename @include(if: false) }',
      '{ nope }',
      '{ cars }',
      '{ cars { totalCount nope } }',
      '{ car { id } }',
      '{ __typename(x: 1) }',
      'query Q($x: Int) { __typename }',
      '{ a: __typename a: me { id } }',
      '{ cars(first: 1) { totalCount } cars(first: 2) { totalCount } }',
      '{ __typename ... on Car { id } }',
      '{ costCenter { id } }',
      `{ costCenter(id: "${UNKNOWN_ID}", code: "X") { id } }`,
    )
    .map((query) => hr('operations', `document ${J(query).slice(0, 40)}`, post(body({ query })), [400, 422, 200, 294]));
  const many = fc.integer({ min: 2, max: 2000 }).map((count) => {
    const query = Array.from({ length: count }, (_, i) => `query Op${i} { __typename }`).join(' ');
    return hr(
      'operations',
      `${count} operations, last one named`,
      post(body({ query, operationName: `Op${count - 1}` })),
    );
  });
  const random = fc
    .oneof(printableAscii(200), fc.string({ unit: 'grapheme', maxLength: 80 }))
    .map((query) => hr('operations', `random document ${J(query).slice(0, 30)}`, post(body({ query })), [400, 422]));
  return fc.oneof(select, noOperation, many, random);
}

function subscriptionFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      query: fc.constantFrom(
        'subscription { __typename }',
        'subscription S { cars { totalCount } }',
        'subscription { me { id } }',
        'subscription S { __typename } query Q { __typename }',
      ),
      operationName: fc.constantFrom<string | undefined>(undefined, 'S', 'Q'),
      transport: fc.constantFrom('post', 'get'),
      accept: fc.constantFrom<string | undefined>(
        undefined,
        'multipart/mixed; subscriptionSpec=1.0',
        'text/event-stream',
      ),
      token: tokenOption(tokens),
    })
    .map(({ query, operationName, transport, accept, token }) => {
      const headers = { ...(accept ? { accept } : {}), ...auth(token) };
      const what = `${query.slice(0, 36)}${operationName ? ` (${operationName})` : ''}${accept ? `, accept ${accept}` : ''}`;
      if (transport === 'get') {
        const params: [string, string][] = [['query', query]];
        if (operationName) params.push(['operationName', operationName]);
        return hr('subscription', `GET ${what}`, get(params, { 'apollo-require-preflight': 'true', ...headers }));
      }
      return hr('subscription', what, post(body({ query, operationName }), headers));
    });
}

function unicodeFamily(tokens: string[]): fc.Arbitrary<HostileRequest> {
  const inString = fc
    .record({
      s: nastyString,
      token: tokenOption(tokens),
      where: fc.constantFrom('search', 'brand', 'car id', 'cost center code', 'after'),
    })
    .map(({ s, token, where }) => {
      const literal = J(s);
      const query = {
        search: `{ cars(first: 2, filter: { search: ${literal} }) { totalCount } }`,
        brand: `{ cars(first: 2, filter: { brand: ${literal} }) { totalCount } }`,
        'car id': `{ car(id: ${literal}) { id } }`,
        'cost center code': `{ costCenter(code: ${literal}) { id } }`,
        after: `{ users(first: 2, after: ${literal}) { totalCount } }`,
      }[where];
      return hr(
        'unicode',
        `${where} literal ${literal.slice(0, 24)}${token ? ', signed in' : ''}`,
        post(body({ query }), auth(token)),
      );
    });
  const inVariable = fc.record({ s: nastyString, token: tokenOption(tokens) }).map(({ s, token }) =>
    hr(
      'unicode',
      `search variable ${J(s).slice(0, 24)}${token ? ', signed in' : ''}`,
      post(
        body({
          query:
            'query($s: String) { cars(first: 2, filter: { search: $s }) { totalCount } users(first: 1, filter: { group: $s }) { totalCount } }',
          variables: { s },
        }),
        auth(token),
      ),
    ),
  );
  const inNames = fc
    .record({
      s: nastyString,
      where: fc.constantFrom(
        'field',
        'alias',
        'operation name',
        'operationName param',
        'variable name',
        'fragment name',
        'enum value',
        'raw in string',
      ),
    })
    .map(({ s, where }) => {
      const op: Operation = {
        field: { query: `{ ${s} }` },
        alias: { query: `{ ${s}: __typename }` },
        'operation name': { query: `query ${s} { __typename }` },
        'operationName param': { query: '{ __typename }', operationName: s },
        'variable name': { query: `query($${s}: Int) { __typename }` },
        'fragment name': { query: `{ ...${s} } fragment ${s} on Query { __typename }` },
        'enum value': { query: `{ cars(first: 1, orderBy: { field: ${s} }) { totalCount } }` },
        'raw in string': { query: `{ car(id: "${s.replace(/["\\\n\r]/g, '')}") { id } }` },
      }[where];
      return hr('unicode', `${where} ${J(s).slice(0, 24)}`, post(body(op)));
    });
  const escapes = fc
    .constantFrom(
      '{ car(id: "\\u{1F600}") { id } }',
      '{ car(id: "\\uD83D\\uDE00") { id } }',
      '{ car(id: "\\uD800") { id } }',
      '{ car(id: "\\uDC00\\uD800") { id } }',
      '{ car(id: "\\u{110000}") { id } }',
      '{ car(id: "\\u{FFFFFFFFFF}") { id } }',
      '{ car(id: "\\u") { id } }',
      '{ car(id: "\\x41") { id } }',
      '{ car(id: """\u0000""") { id } }',
      '{ car(id: """\\""" """) { id } }',
      '{ car(id: "\u00e9") { id } }',
    )
    .map((query) => hr('unicode', `escape ${query.slice(10, 30)}`, post(body({ query }))));
  const rawBytes = fc.record({ s: nastyString, token: tokenOption(tokens) }).map(({ s, token }) => {
    // The text sent as-is in UTF-8, not \u-escaped by JSON.stringify (lone surrogates become U+FFFD).
    const text = `{"query":"{ cars(first: 1, filter: { search: \\"${s.replace(/["\\]/g, '').replace(/[\u0000-\u001f]/g, ' ')}\\" }) { totalCount } }"}`;
    return hr(
      'unicode',
      `raw UTF-8 ${J(s).slice(0, 24)}${token ? ', signed in' : ''}`,
      post(Buffer.from(text, 'utf8'), auth(token)),
      [200, 294],
    );
  });
  return fc.oneof(inString, inVariable, inNames, escapes, rawBytes);
}

function mutationFamily(tokenList: string[], tokens: Record<string, string>): fc.Arbitrary<HostileRequest> {
  // Writes that cannot succeed, so the seeded data stays as it is (never logout or deactivate with a real token).
  const failing = [
    `mutation { createCar(input: { brand: " ", model: "X", costCenterId: "${UNKNOWN_ID}" }) { id } }`,
    `mutation { updateCar(id: "${UNKNOWN_ID}", input: { model: "X" }) { id } }`,
    `mutation { deleteCar(id: "not-a-uuid") }`,
    `mutation { updateCostCenter(id: "${UNKNOWN_ID}", input: { societyName: "" }) { id } }`,
    `mutation { createUser(input: { username: "", email: "nope" }) { id } }`,
    `mutation { revokeUserTokens(userId: "${UNKNOWN_ID}") }`,
    `mutation { deactivateUser(id: "${UNKNOWN_ID}") { id } }`,
    'mutation { createCar(input: {}) { id } }',
    'mutation { createCar { id } }',
    'mutation { nope }',
    `mutation { ${Array.from({ length: 60 }, (_, i) => `d${i}: deleteCar(id: "${UNKNOWN_ID}")`).join(' ')} }`,
  ];
  const signedIn = fc
    .record({ mutation: fc.constantFrom(...failing), token: tokenOption(tokenList) })
    .map(({ mutation, token }) =>
      hr(
        'mutation',
        `${mutation.slice(11, 50)}${token ? ', signed in' : ''}`,
        post(body({ query: mutation }), auth(token)),
      ),
    );
  const dangerous = fc
    .constantFrom(
      'mutation { logout }',
      `mutation { deactivateUser(id: "${ADMIN_ID}") { id } }`,
      `mutation { revokeUserTokens(userId: "${ADMIN_ID}") }`,
    )
    .chain((mutation) =>
      // `logout` succeeds for anyone signed in (it revokes the token used), so it is only sent anonymously.
      fc
        .constantFrom<string | undefined>(undefined, mutation.includes('logout') ? undefined : tokens.viewer)
        .map((token) =>
          // Anonymous, or as a viewer who may not: both must fail without touching anyone's tokens.
          hr(
            'mutation',
            `${mutation.slice(11, 40)}${token ? ' as viewer' : ' anonymous'}`,
            post(body({ query: mutation }), auth(token)),
          ),
        ),
    );
  const login = fc
    .record({
      username: fc.oneof(nastyString, printableAscii(40)),
      password: fc.oneof(nastyString, printableAscii(80)),
    })
    .filter(({ username }) => !seedUsers.some((user) => user.username === username.trim().toLowerCase()))
    .map(({ username, password }) =>
      hr(
        'mutation',
        `login as ${J(username).slice(0, 20)}`,
        post(
          body({
            query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
            variables: { u: username, p: password },
          }),
        ),
      ),
    );
  const inputs = fc
    .record({
      input: fc.constantFrom<unknown>(
        {},
        { brand: 1 },
        { brand: 'a'.repeat(100_000), model: 'm', costCenterId: UNKNOWN_ID },
        null,
        [],
        'x',
        { __proto__: { brand: 'x' } },
      ),
      token: tokenOption(tokenList),
    })
    .map(({ input, token }) =>
      hr(
        'mutation',
        `createCar input ${J(input)?.slice(0, 24)}${token ? ', signed in' : ''}`,
        post(
          body({ query: 'mutation($i: CreateCarInput!) { createCar(input: $i) { id } }', variables: { i: input } }),
          auth(token),
        ),
      ),
    );
  return fc.oneof(signedIn, dangerous, login, inputs);
}

/**
 * Any hostile request. Weighted so that every family shows up often and the
 * near-limit bodies (about a megabyte each) stay a small share of a run.
 */
export function hostileRequestArbitrary(options: HostileOptions = {}): fc.Arbitrary<HostileRequest> {
  const tokens = options.tokens ?? {};
  const tokenList = Object.values(tokens);
  const limit = options.bodyLimitBytes ?? MIB;
  const maxTokens = options.maxTokens ?? 10_000;
  // Tokens that could change the seeded data are only used by mutationFamily, for writes that must fail.
  const readTokens = tokenList;
  return fc.oneof(
    { arbitrary: validFamily(readTokens), weight: 8 },
    { arbitrary: malformedJsonFamily(), weight: 7 },
    { arbitrary: contentTypeFamily(), weight: 5 },
    { arbitrary: methodFamily(), weight: 3 },
    { arbitrary: hugeDocumentFamily(limit, maxTokens, readTokens), weight: 3 },
    { arbitrary: deepDocumentFamily(readTokens), weight: 5 },
    { arbitrary: fragmentChainFamily(readTokens), weight: 4 },
    { arbitrary: fragmentCycleFamily(), weight: 3 },
    { arbitrary: aliasBombFamily(readTokens), weight: 4 },
    { arbitrary: variablesFamily(readTokens), weight: 7 },
    { arbitrary: coercedVariablesFamily(readTokens), weight: 3 },
    { arbitrary: apqFamily(readTokens), weight: 5 },
    { arbitrary: getFamily(readTokens), weight: 5 },
    { arbitrary: batchFamily(), weight: 2 },
    { arbitrary: authorizationFamily(readTokens), weight: 6 },
    { arbitrary: headersFamily(readTokens), weight: 4 },
    { arbitrary: operationsFamily(), weight: 5 },
    { arbitrary: subscriptionFamily(readTokens), weight: 2 },
    { arbitrary: unicodeFamily(readTokens), weight: 6 },
    { arbitrary: mutationFamily(readTokens, tokens), weight: 4 },
  );
}

/**
 * `count` hostile requests, the same ones for the same seed: sampled lazily in
 * chunks (each with a seed derived from `seed`), so that a long run never holds
 * more than a chunk of megabyte bodies at once.
 */
export function* hostileRequests(
  count: number,
  seed: number,
  options: HostileOptions = {},
  chunkSize = 100,
): Generator<HostileRequest> {
  const arbitrary = hostileRequestArbitrary(options);
  for (let chunk = 0, sent = 0; sent < count; chunk++) {
    const size = Math.min(chunkSize, count - sent);
    yield* fc.sample(arbitrary, { seed: (seed + chunk * 7_919) | 0, numRuns: size });
    sent += size;
  }
}

// ---------------------------------------------------------------------------
// The contract every answer keeps

const STACK_FRAME = /(\n|\\n)\s+at |\.ts:\d+|\.js:\d+:\d+|node_modules|\/work\//;
const PROTOCOL = PROTOCOL_CODES as Record<string, keyof typeof STATUS>;

function expectedNumber(code: unknown): number | undefined {
  if (typeof code !== 'string' || code === 'OK') return undefined;
  if (Object.prototype.hasOwnProperty.call(STATUS, code)) return STATUS[code as keyof typeof STATUS].grpcStatus;
  if (Object.prototype.hasOwnProperty.call(PROTOCOL, code)) return STATUS[PROTOCOL[code]!].grpcStatus;
  return undefined;
}

/**
 * A @defer answer (multipart/mixed;deferSpec=20220824) judged as one result: the first part's
 * data, with the errors of every part (the initial one and each incremental item). Undefined
 * when a part is not a JSON object, so that it is reported as such.
 */
function deferredAsOne(text: string): unknown {
  const parts = text
    .split('\r\n--graphql')
    .map((part) => part.slice(part.indexOf('\r\n\r\n') + 4).trim())
    .filter((part) => part.length > 0 && part !== '--');
  const parsed: unknown[] = [];
  for (const part of parts) {
    try {
      parsed.push(JSON.parse(part));
    } catch {
      return undefined;
    }
  }
  const objects = parsed.filter(
    (part): part is { data?: unknown; errors?: unknown[]; incremental?: { errors?: unknown[] }[] } =>
      typeof part === 'object' && part !== null && !Array.isArray(part),
  );
  if (objects.length !== parsed.length || objects.length === 0) return undefined;
  const errors = objects.flatMap((part) => [
    ...(part.errors ?? []),
    ...(part.incremental ?? []).flatMap((item) => item.errors ?? []),
  ]);
  return { data: objects[0]!.data, ...(errors.length > 0 ? { errors } : {}) };
}

/**
 * What is wrong with an answer to a hostile request, as short sentences (none
 * when it keeps the contract): it arrives; no 5xx but a 503 with Retry-After;
 * a JSON body with `data` or errors; every error with a message, a catalog code
 * and its gRPC number, and the request id; no stack frame or server path.
 */
export function judgeResponse(hostile: HostileRequest, outcome: RawResponse | Error): string[] {
  if (outcome instanceof Error) return [`no answer: ${outcome.message}`];
  const problems: string[] = [];
  const { status, headers, text } = outcome;
  const json = String(headers['content-type'] ?? '').includes('deferSpec=20220824')
    ? deferredAsOne(text)
    : outcome.json;
  const retryLater = status === 503 && typeof headers['retry-after'] === 'string' && headers['retry-after'].length > 0;
  if (status >= 500 && !retryLater) problems.push(`HTTP ${status}`);
  if (status === 503 && !retryLater) problems.push('503 without Retry-After');
  if (hostile.expectStatus && !hostile.expectStatus.includes(status) && !retryLater) {
    problems.push(`HTTP ${status}, expected ${hostile.expectStatus.join(' or ')}`);
  }
  if (STACK_FRAME.test(text))
    problems.push(`stack frame or server path in the body: ${J(text.match(STACK_FRAME)?.[0])}`);
  if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) {
    problems.push(
      `body is not a JSON object (content-type ${headers['content-type'] ?? 'none'}): ${J(text.slice(0, 120))}`,
    );
    return problems;
  }
  const result = json as { data?: unknown; errors?: unknown };
  const hasErrors = Array.isArray(result.errors) && result.errors.length > 0;
  if (!hasErrors && !('data' in result)) problems.push(`neither data nor errors: ${J(text.slice(0, 120))}`);
  if (result.errors !== undefined && !Array.isArray(result.errors)) problems.push('`errors` is not an array');
  if (status !== 200 && !hasErrors) problems.push(`HTTP ${status} without errors`);
  const headerId = headers['x-request-id'];
  for (const error of Array.isArray(result.errors) ? result.errors : []) {
    const e = error as {
      message?: unknown;
      extensions?: { code?: unknown; grpcStatus?: unknown; requestId?: unknown };
    };
    const where = `error ${J(typeof e?.message === 'string' ? e.message.slice(0, 60) : e?.message)}`;
    if (typeof e?.message !== 'string') problems.push(`${where}: message is not a string`);
    const code = e?.extensions?.code;
    const number = expectedNumber(code);
    if (number === undefined) problems.push(`${where}: code ${J(code)} is not in the catalog`);
    else if (e.extensions?.grpcStatus !== number)
      problems.push(`${where}: grpcStatus ${J(e.extensions?.grpcStatus)} for ${String(code)} (expected ${number})`);
    const requestId = e?.extensions?.requestId;
    if (typeof requestId !== 'string' || requestId.length === 0) problems.push(`${where}: no requestId`);
    else if (typeof headerId === 'string' && requestId !== headerId)
      problems.push(
        `${where}: requestId ${J(requestId.slice(0, 40))} differs from x-request-id ${J(headerId.slice(0, 40))}`,
      );
  }
  return problems;
}

/** The request in a line or two: enough to reproduce it. */
export function describeRequest(request: RawRequest): string {
  const bodyText =
    request.body === undefined
      ? ''
      : Buffer.isBuffer(request.body)
        ? `<${request.body.length} bytes> ${J(request.body.subarray(0, 160).toString('latin1'))}`
        : `<${Buffer.byteLength(request.body)} bytes> ${J(request.body.slice(0, 160))}`;
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => `${name}: ${value.length > 60 ? `${value.slice(0, 60)}…(${value.length})` : value}`)
    .join('; ');
  const path = request.path ?? '/graphql';
  return `${request.method ?? 'POST'} ${path.length > 200 ? `${path.slice(0, 200)}…(${path.length})` : path} [${headers}] ${bodyText}`;
}

export interface Violation {
  index: number;
  family: Family;
  description: string;
  problems: string[];
  request: string;
  /** HTTP status and the start of the body, when there was an answer. */
  answer?: string;
}

export interface RunSummary {
  sent: number;
  elapsedMs: number;
  byFamily: Record<string, number>;
  byStatus: Record<string, number>;
  /** Error codes seen in answers, e.g. INVALID_ARGUMENT: 812. */
  byCode: Record<string, number>;
  violations: Violation[];
  /** Answers the contract allows but that deserve a look: INTERNAL or UNKNOWN errors, 503s. */
  notable: Violation[];
  slowest: { ms: number; family: Family; description: string }[];
}

export interface RunOptions {
  concurrency?: number;
  timeoutMs?: number;
  /** Called after each answer, with how many have been answered. */
  onProgress?: (done: number) => void;
}

/** Sends every request (a few at a time) and judges every answer, collecting rather than stopping at violations. */
export async function runHostileRequests(
  baseUrl: string,
  requests: Iterable<HostileRequest>,
  options: RunOptions = {},
): Promise<RunSummary> {
  const { concurrency = 4, timeoutMs = 20_000, onProgress } = options;
  const summary: RunSummary = {
    sent: 0,
    elapsedMs: 0,
    byFamily: {},
    byStatus: {},
    byCode: {},
    violations: [],
    notable: [],
    slowest: [],
  };
  const bump = (counts: Record<string, number>, key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const started = performance.now();
  const iterator = requests[Symbol.iterator]();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const step = iterator.next();
      if (step.done) return;
      const hostile = step.value;
      const index = next++;
      let outcome: RawResponse | Error;
      try {
        outcome = await sendRaw(baseUrl, { ...hostile.request, timeoutMs });
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
      }
      summary.sent++;
      bump(summary.byFamily, hostile.family);
      bump(summary.byStatus, outcome instanceof Error ? 'no answer' : String(outcome.status));
      const answer = outcome instanceof Error ? undefined : `HTTP ${outcome.status} ${outcome.text.slice(0, 300)}`;
      const record = (problems: string[]): Violation => ({
        index,
        family: hostile.family,
        description: hostile.description,
        problems,
        request: describeRequest(hostile.request),
        ...(answer ? { answer } : {}),
      });
      if (!(outcome instanceof Error)) {
        const errors = (outcome.json as { errors?: { extensions?: { code?: unknown } }[] } | undefined)?.errors;
        const codes = Array.isArray(errors) ? errors.map((error) => String(error?.extensions?.code)) : [];
        for (const code of new Set(codes)) bump(summary.byCode, code);
        if (codes.includes('INTERNAL') || codes.includes('UNKNOWN'))
          summary.notable.push(record(['INTERNAL/UNKNOWN error in the answer']));
        else if (outcome.status === 503)
          summary.notable.push(record([`HTTP 503, retry-after ${String(outcome.headers['retry-after'])}`]));
        summary.slowest.push({
          ms: Math.round(outcome.elapsedMs),
          family: hostile.family,
          description: hostile.description,
        });
        summary.slowest.sort((a, b) => b.ms - a.ms).splice(5);
      }
      const problems = judgeResponse(hostile, outcome);
      if (problems.length > 0) summary.violations.push(record(problems));
      onProgress?.(summary.sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  summary.elapsedMs = performance.now() - started;
  return summary;
}

/** A few lines for a log: the first `max` violations with their requests. */
export function formatViolations(violations: Violation[], max = 20): string {
  return violations
    .slice(0, max)
    .map(
      (v) =>
        `#${v.index} [${v.family}] ${v.description}\n  problems: ${v.problems.join('; ')}\n  request: ${v.request}${v.answer ? `\n  answer: ${v.answer}` : ''}`,
    )
    .join('\n');
}
