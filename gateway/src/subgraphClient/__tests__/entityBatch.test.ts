import { parse, print } from 'graphql';
import { ANONYMOUS } from '@car-check/service-kit';
import type { GatewayContext } from '../../context';
import { bodyOf, EntityFetchBatcher, type MemberFetch } from '../entityBatch/batcher';
import { MergedOperations } from '../entityBatch/mergedOperation';
import { entityFetchDocument } from '../entityFetch';
import { splitAnswer } from '../entityBatch/splitAnswer';
import type { Sent, SubgraphFetch } from '../fetch';

const PRICE =
  'query Q__inventory__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{inStock}}}';
const REVIEWS =
  'query Q__reviews__2($representations:[_Any!]!$first:Int){_entities(representations:$representations){...on Product{reviews(first:$first){...Review}}}}fragment Review on Review{id body}';
const REVIEWS_OTHER =
  'query Q__reviews__3($representations:[_Any!]!){_entities(representations:$representations){...on User{reviews{...Review}}}}fragment Review on Review{id body}';
const REVIEWS_CLASH =
  'query Q__reviews__4($representations:[_Any!]!){_entities(representations:$representations){...on User{reviews{...Review}}}}fragment Review on Review{id}';

const operations = () => new MergedOperations({ maxEntries: 100, maxBytes: 1_000_000 });
const pretty = (text: string) => print(parse(text));

const context = (): GatewayContext => ({
  requestId: 'r1',
  caller: ANONYMOUS,
  signal: new AbortController().signal,
  deadline: Date.now() + 10_000,
  idempotencyKey: null,
  subgraphCalls: [],
});

describe('merged _entities operations', () => {
  it('takes only what the planner writes for an entity fetch', () => {
    expect(entityFetchDocument(PRICE)).not.toBeNull();
    expect(entityFetchDocument(REVIEWS)).not.toBeNull();
    expect(entityFetchDocument('query { topProducts { upc } }')).toBeNull();
    expect(
      entityFetchDocument(
        'mutation($representations:[_Any!]!){_entities(representations:$representations){__typename}}',
      ),
    ).toBeNull();
    expect(
      entityFetchDocument(
        'query($representations:[_Any!]!){e:_entities(representations:$representations){__typename}}',
      ),
    ).toBeNull();
    expect(
      entityFetchDocument(
        'query($representations:[_Any!]!){_entities(representations:$representations){__typename} _service{sdl}}',
      ),
    ).toBeNull();
    expect(entityFetchDocument('query {')).toBeNull();
  });

  it('aliases each member, renames its variables, and declares an identical fragment once', () => {
    const merged = operations().operation([PRICE, REVIEWS, REVIEWS_OTHER]);
    expect(merged.operationName).toBe('Q__inventory__1');
    expect(merged.variables).toEqual([
      [['representations', 'r0']],
      [
        ['representations', 'r1'],
        ['first', 'first_1'],
      ],
      [['representations', 'r2']],
    ]);
    expect(pretty(merged.text)).toBe(
      pretty(`query Q__inventory__1($r0: [_Any!]!, $r1: [_Any!]!, $first_1: Int, $r2: [_Any!]!) {
        _0: _entities(representations: $r0) { ... on Product { inStock } }
        _1: _entities(representations: $r1) { ... on Product { reviews(first: $first_1) { ...Review } } }
        _2: _entities(representations: $r2) { ... on User { reviews { ...Review } } }
      }
      fragment Review on Review { id body }`),
    );
  });

  it('renames a fragment another member declares differently, or that uses a variable', () => {
    const merged = operations().operation([REVIEWS, REVIEWS_CLASH]);
    expect(pretty(merged.text)).toBe(
      pretty(`query Q__reviews__2($r0: [_Any!]!, $first_0: Int, $r1: [_Any!]!) {
        _0: _entities(representations: $r0) { ... on Product { reviews(first: $first_0) { ...Review } } }
        _1: _entities(representations: $r1) { ... on User { reviews { ...Review_1 } } }
      }
      fragment Review on Review { id body }
      fragment Review_1 on Review { id }`),
    );
    const withVariable =
      'query($representations:[_Any!]!$n:Int){_entities(representations:$representations){...on User{...R}}}fragment R on User{reviews(first:$n){id}}';
    expect(pretty(operations().operation([withVariable, withVariable]).text)).toBe(
      pretty(`query($r0: [_Any!]!, $n_0: Int, $r1: [_Any!]!, $n_1: Int) {
        _0: _entities(representations: $r0) { ... on User { ...R } }
        _1: _entities(representations: $r1) { ... on User { ...R_1 } }
      }
      fragment R on User { reviews(first: $n_0) { id } }
      fragment R_1 on User { reviews(first: $n_1) { id } }`),
    );
  });

  it('writes each combination once, in caches bounded by entries and by size', () => {
    const bounded = new MergedOperations({ maxEntries: 2, maxBytes: 1_000_000 });
    const first = bounded.operation([PRICE, REVIEWS]);
    expect(bounded.operation([PRICE, REVIEWS])).toBe(first);
    bounded.operation([REVIEWS, PRICE]);
    bounded.operation([PRICE, REVIEWS_OTHER]);
    for (const text of [PRICE, REVIEWS, REVIEWS_OTHER]) expect(bounded.mergeable(text)).toBe(true);
    expect(bounded.size).toEqual({ shapes: 2, merged: 2 });
    const small = new MergedOperations({ maxEntries: 100, maxBytes: 600 });
    small.operation([PRICE, REVIEWS]);
    small.operation([PRICE, REVIEWS_OTHER]);
    small.operation([REVIEWS, REVIEWS_OTHER]);
    expect(small.size.merged).toBe(1);
  });
});

describe('splitting a merged answer', () => {
  it('gives each member its entities and its errors, and errors without a path to all', () => {
    const sent: Sent = {
      kind: 'answered',
      status: 200,
      graphql: {
        data: { _0: [{ inStock: true }, null], _1: [{ reviews: [] }] },
        errors: [
          { message: 'no such product', path: ['_0', 1, 'inStock'], extensions: { code: 'NOT_FOUND' } },
          { message: 'something about the request' },
        ],
        extensions: { note: 1 },
      },
    };
    expect(splitAnswer(sent, 2)).toEqual([
      {
        kind: 'answered',
        status: 200,
        graphql: {
          data: { _entities: [{ inStock: true }, null] },
          errors: [
            { message: 'no such product', path: ['_entities', 1, 'inStock'], extensions: { code: 'NOT_FOUND' } },
            { message: 'something about the request' },
          ],
          extensions: { note: 1 },
        },
      },
      {
        kind: 'answered',
        status: 200,
        graphql: {
          data: { _entities: [{ reviews: [] }] },
          errors: [{ message: 'something about the request' }],
          extensions: { note: 1 },
        },
      },
    ]);
  });

  it('leaves errors out when the answer has none, and passes on a refusal without data', () => {
    const ok = splitAnswer({ kind: 'answered', status: 200, graphql: { data: { _0: [], _1: [] } } }, 2);
    expect(ok.map((s) => s.kind === 'answered' && s.graphql)).toEqual([
      { data: { _entities: [] } },
      { data: { _entities: [] } },
    ]);
    const refused = splitAnswer({ kind: 'answered', status: 400, graphql: { errors: [{ message: 'too large' }] } }, 2);
    expect(refused.map((s) => s.kind === 'answered' && s.graphql)).toEqual([
      { data: undefined, errors: [{ message: 'too large' }] },
      { data: undefined, errors: [{ message: 'too large' }] },
    ]);
  });

  it('fails every member of a call that got no GraphQL answer', () => {
    for (const sent of [
      { kind: 'timed-out' },
      { kind: 'unreachable' },
      { kind: 'cancelled' },
      { kind: 'answered', status: 502, graphql: null },
    ] as Sent[]) {
      expect(splitAnswer(sent, 3)).toEqual([sent, sent, sent]);
    }
  });
});

describe('the batcher', () => {
  const member = (query: string, representations: unknown[], extra: Record<string, unknown> = {}): MemberFetch => ({
    query,
    variables: { ...extra, representations },
    operationName: /^query (\w+)/.exec(query)?.[1],
  });

  /** A client that records each fetch and answers with `answer`. */
  const recording = (answer: (fetch: SubgraphFetch) => Sent) => {
    const fetches: SubgraphFetch[] = [];
    const send = (fetch: SubgraphFetch) => {
      fetches.push(fetch);
      return Promise.resolve(answer(fetch));
    };
    return { fetches, send };
  };

  it('sends a fetch alone exactly as before: the same body, no rewrite', async () => {
    const client = recording(() => ({
      kind: 'answered',
      status: 200,
      graphql: { data: { _entities: [{ inStock: true }] } },
    }));
    const batcher = new EntityFetchBatcher(client.send, { maxBodyBytes: 1_000_000 });
    const fetch = member(PRICE, [{ __typename: 'Product', upc: '1' }], { first: 3 });
    const sent = await batcher.add(context(), fetch);
    expect(client.fetches.map((f) => [f.body, f.merged])).toEqual([
      [JSON.stringify({ query: PRICE, variables: fetch.variables, operationName: 'Q__inventory__1' }), undefined],
    ]);
    expect(sent).toEqual({ kind: 'answered', status: 200, graphql: { data: { _entities: [{ inStock: true }] } } });
  });

  it("merges one request's fetches issued together into one call, and never two requests'", async () => {
    const client = recording((fetch) => {
      const { variables } = JSON.parse(fetch.body) as { variables: Record<string, unknown[]> };
      const inStock = (representations: unknown[]) => representations.map(() => ({ inStock: true }));
      if (variables.representations)
        return { kind: 'answered', status: 200, graphql: { data: { _entities: inStock(variables.representations) } } };
      const data = Object.fromEntries(
        Object.keys(variables)
          .filter((name) => /^r\d+$/.test(name))
          .map((name) => [`_${name.slice(1)}`, inStock(variables[name]!)]),
      );
      return { kind: 'answered', status: 200, graphql: { data } };
    });
    const batcher = new EntityFetchBatcher(client.send, { maxBodyBytes: 1_000_000 });
    const [one, two] = [context(), context()];
    const answers = await Promise.all([
      batcher.add(one, member(PRICE, [{ upc: '1' }])),
      batcher.add(one, member(REVIEWS, [{ upc: '2' }, { upc: '3' }], { first: 2 })),
      batcher.add(two, member(PRICE, [{ upc: '4' }])),
    ]);
    expect(client.fetches.map((f) => [f.context, f.merged])).toEqual([
      [one, 2],
      [two, undefined],
    ]);
    expect(JSON.parse(client.fetches[0]!.body)).toEqual({
      query: expect.stringContaining('_1:_entities(representations:$r1)'),
      variables: { r0: [{ upc: '1' }], r1: [{ upc: '2' }, { upc: '3' }], first_1: 2 },
      operationName: 'Q__inventory__1',
    });
    expect(answers.map((s) => s.kind === 'answered' && s.graphql?.data)).toEqual([
      { _entities: [{ inStock: true }] },
      { _entities: [{ inStock: true }, { inStock: true }] },
      { _entities: [{ inStock: true }] },
    ]);
  });

  it('fails each member of a failed merged call as its own call would have failed', async () => {
    const client = recording(() => ({ kind: 'timed-out' }));
    const batcher = new EntityFetchBatcher(client.send, { maxBodyBytes: 1_000_000 });
    const ctx = context();
    const answers = await Promise.all([batcher.add(ctx, member(PRICE, [{}])), batcher.add(ctx, member(REVIEWS, [{}]))]);
    expect(client.fetches).toHaveLength(1);
    expect(answers).toEqual([{ kind: 'timed-out' }, { kind: 'timed-out' }]);
  });

  it('cuts a batch where the body would pass its bound', async () => {
    const client = recording(() => ({ kind: 'answered', status: 200, graphql: { data: {} } }));
    const big = Array.from({ length: 20 }, (_, i) => ({ __typename: 'Product', upc: `${i}`.padStart(20, '0') }));
    const one = JSON.stringify(big).length + PRICE.length;
    const batcher = new EntityFetchBatcher(client.send, { maxBodyBytes: one * 2 + 100 });
    const ctx = context();
    await Promise.all([0, 1, 2].map(() => batcher.add(ctx, member(PRICE, big))));
    expect(client.fetches.map((f) => f.merged)).toEqual([2, undefined]);
  });

  it('writes a body byte for byte as JSON.stringify does', () => {
    const variables = { a: 'x"y', representations: [{ __typename: 'T', id: '\u2028' }], n: null };
    expect(
      bodyOf(
        PRICE,
        Object.entries(variables).map(([k, v]) => [k, JSON.stringify(v)]),
        'Op',
      ),
    ).toBe(JSON.stringify({ query: PRICE, variables, operationName: 'Op' }));
    expect(bodyOf(PRICE, [])).toBe(JSON.stringify({ query: PRICE, variables: {} }));
  });
});
