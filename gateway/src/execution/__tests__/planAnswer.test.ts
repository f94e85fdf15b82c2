import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { buildSchema, getOperationAST, graphqlSync, parse } from 'graphql';
import { ANONYMOUS, createLogger } from '@car-check/service-kit';
import { composedSupergraph } from '../../__tests__/composedSupergraph';
import { type GatewayContext, type PrefetchedFetch, takePrefetched } from '../../context';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import { answerablePlanOf, answerOf, NOT_AS_IS, type AnswerablePlan } from '../planAnswer';
import { PlanRunner, runnerRequest } from '../planner';
import { runPlan } from '../runPlan';
import { inStages } from '../stagedPlans';

/**
 * Which plans the gateway runs itself, and that its answer is the one Apollo Gateway's executor
 * makes of the same subgraphs' answers: each query below goes through both, in process, against
 * the same two subgraphs (graphql-js executing each fetch), whose answers a test may tamper with.
 */
const CARS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@inaccessible"])
  type Query { car(id: ID!): Car cars: [Car!]! things: [Thing] count: Int ratio: Float flag: Boolean when: Instant }
  scalar Instant
  type Car @key(fields: "id") { id: ID! model: String! seats: Int status: Status! tags: [String!] owner: Owner }
  type Owner { name: String! }
  type Bike { id: ID! }
  union Thing = Car | Bike
  enum Status { ACTIVE SOLD HIDDEN @inaccessible }
  type Mutation { rename(id: ID!): Car }
`;
const CENTERS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type Query { ping: Int }
  type Car @key(fields: "id") { id: ID! center: Center }
  type Center @key(fields: "code") { code: String! name: String! }
`;
const BUDGETS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type Query { budgetCount: Int }
  type Center @key(fields: "code") { code: String! budget: Int! }
`;

/** Each subgraph as graphql-js executes it: the fetch's own selection, nothing more. */
const EXECUTABLE = {
  cars: buildSchema(`
    type Query { car(id: ID!): Car cars: [Car!]! count: Int ratio: Float flag: Boolean when: Instant }
    scalar Instant
    type Car { id: ID! model: String! seats: Int status: Status! tags: [String!] owner: Owner }
    type Owner { name: String! }
    enum Status { ACTIVE SOLD HIDDEN }
  `),
  centers: buildSchema(`
    scalar _Any
    union _Entity = Car
    type Query { _entities(representations: [_Any!]!): [_Entity]! }
    type Car { id: ID! center: Center }
    type Center { code: String! name: String! }
  `),
  budgets: buildSchema(`
    scalar _Any
    union _Entity = Center
    type Query { _entities(representations: [_Any!]!): [_Entity]! budgetCount: Int }
    type Center { code: String! budget: Int! }
  `),
};

const CARS = [
  { id: '1', model: 'Clio', seats: 5, status: 'ACTIVE', tags: ['a'], owner: null },
  { id: '2', model: 'Zoe', seats: null, status: 'SOLD', tags: [], owner: { name: 'Ada' } },
  { id: '3', model: 'Twingo', seats: 4, status: 'ACTIVE', tags: null, owner: null },
];
const CENTERS: Record<string, { code: string; name: string } | null> = {
  '1': { code: 'C1', name: 'North' },
  '2': { code: 'C2', name: 'South' },
  '3': null,
};

const rootValues = {
  cars: () => ({
    car: ({ id }: { id: string }) => CARS.find((car) => car.id === id) ?? null,
    cars: () => CARS,
    count: 3,
    ratio: 1.5,
    flag: true,
    when: { any: 'custom scalar value' },
  }),
  centers: () => ({
    _entities: ({ representations }: { representations: { id: string }[] }) =>
      representations.map((car) => ({ __typename: 'Car', center: CENTERS[car.id] ?? null })),
  }),
  budgets: () => ({
    _entities: ({ representations }: { representations: { code: string }[] }) =>
      representations.map((center) => ({ __typename: 'Center', budget: center.code.length * 100 })),
    budgetCount: 2,
  }),
};

type Subgraph = keyof typeof EXECUTABLE;
/** Changes a subgraph's answer before the gateway reads it (a misbehaving subgraph). */
type Tamper = (subgraph: Subgraph, response: GatewayGraphQLResponse) => GatewayGraphQLResponse;

describe('the gateway’s own plan execution', () => {
  const sdl = composedSupergraph({ cars: CARS_SDL, centers: CENTERS_SDL, budgets: BUDGETS_SDL });
  const served = servedSchemaOf(sdl, 10);
  const runner = new PlanRunner(sdl, served.schema);
  const log = createLogger({ service: 'gateway-test', level: 'silent', pretty: false });

  const answerable = (query: string): AnswerablePlan | null => {
    const document = parse(query);
    const operation = getOperationAST(document)!;
    return answerablePlanOf(inStages(runner.plan(document, undefined)), runner, document, operation);
  };

  const newContext = (): GatewayContext => ({
    requestId: 'r1',
    caller: ANONYMOUS,
    signal: new AbortController().signal,
    deadline: Date.now() + 30_000,
    idempotencyKey: null,
    subgraphCalls: [],
  });

  /** The three subgraphs, each fetch recorded in `calls`, each answer passed through `tamper`. */
  const subgraphs = (calls: unknown[], tamper: Tamper = (_name, response) => response) =>
    Object.fromEntries(
      (Object.keys(EXECUTABLE) as Subgraph[]).map((name): [string, GraphQLDataSource] => [
        name,
        {
          process: async ({ request }) => {
            calls.push([name, request.query, JSON.stringify(request.variables)]);
            const result = graphqlSync({
              schema: EXECUTABLE[name],
              source: request.query!,
              variableValues: request.variables,
              rootValue: rootValues[name](),
            });
            // As the subgraph client parses it: plain JSON.
            return tamper(name, JSON.parse(JSON.stringify(result)) as GatewayGraphQLResponse);
          },
        },
      ]),
    );

  /** What Apollo Gateway's executor answers, and the fetches it made. */
  const apolloAnswer = async (
    query: string,
    options: { variables?: Record<string, unknown>; tamper?: Tamper; context?: GatewayContext } = {},
  ) => {
    const document = parse(query);
    const operation = getOperationAST(document)!;
    const calls: unknown[] = [];
    const context = options.context ?? newContext();
    const sources = subgraphs(calls, options.tamper);
    // What the subgraph client does with a fetch already made (subgraphClient/dataSource.ts).
    const served = Object.fromEntries(
      Object.entries(sources).map(([name, source]): [string, GraphQLDataSource] => [
        name,
        {
          process: async (request) =>
            (context.prefetched &&
              takePrefetched(context.prefetched, name, request.request.query, request.request.variables)) ||
            source.process(request),
        },
      ]),
    );
    const result = await runner.execute(
      inStages(runner.plan(document, undefined)),
      served,
      runnerRequest(
        { source: query, document, operation, queryHash: 'h', variables: options.variables ?? {} },
        context,
        runner.schema,
        log,
      ),
    );
    return { result, calls };
  };

  /** What the gateway's own executor answers (or NOT_AS_IS), the fetches it made, and their answers. */
  const ownAnswer = async (query: string, options: { variables?: Record<string, unknown>; tamper?: Tamper } = {}) => {
    const plan = answerable(query)!;
    const calls: unknown[] = [];
    const sources = subgraphs(calls, options.tamper);
    const prefetched: PrefetchedFetch[] = [];
    const run = await runPlan(
      plan.node,
      async (fetch, variables) => {
        const response = await sources[fetch.serviceName]!.process({
          request: { query: fetch.operation, variables },
        } as Parameters<GraphQLDataSource['process']>[0]);
        prefetched.push({ subgraph: fetch.serviceName, query: fetch.operation, variables, response });
        return response;
      },
      options.variables ?? {},
      runner.supergraphSchema,
      plan.defaults,
    );
    const answer = run.clean ? answerOf(plan, run.data, options.variables) : NOT_AS_IS;
    return { answer, calls, prefetched, clean: run.clean };
  };

  describe('takes a plan it runs as Apollo does, on object types', () => {
    it.each([
      ['a root field with arguments', '{ car(id: "1") { id model } }', 1],
      ['variables', 'query ($id: ID!) { car(id: $id) { id model } }', 1],
      ['aliases and __typename', '{ first: car(id: "1") { __typename name: model } cars { id } }', 1],
      ['fragments on the same type', '{ car(id: "1") { ...F ... on Car { seats } } } fragment F on Car { id }', 1],
      ['nested objects and lists', '{ cars { id tags owner { name } } }', 1],
      ['leaves at the root', '{ count ratio flag when }', 1],
      ['fields of two subgraphs', '{ car(id: "1") { id center { name } } }', 2],
      ['three subgraphs, one after the other', '{ cars { id center { name budget } } }', 3],
      ['two root fetches side by side', '{ count budgetCount }', 2],
      ['@skip on a field', '{ car(id: "1") { id model @skip(if: true) } }', 1],
      ['@include on a fragment', '{ car(id: "1") { id ... @include(if: false) { model } } }', 1],
      [
        '@include on a variable across subgraphs',
        'query ($c: Boolean!) { car(id: "1") { id center @include(if: $c) { name } } }',
        2,
      ],
    ])('%s', (_name, query, fetches) => {
      expect(answerable(query)?.fetches).toBe(fetches);
    });
  });

  describe('leaves every other plan to Apollo', () => {
    it.each([
      ['an abstract type', '{ things { ... on Car { id } } }'],
      ['a mutation', 'mutation { rename(id: "1") { id } }'],
      ['another directive', '{ car(id: "1") { id model @deprecated } }'],
      ['a directive on a fragment’s definition', '{ car(id: "1") { ...F } } fragment F on Car @skip(if: true) { id }'],
      ['introspection beside it', '{ __schema { queryType { name } } car(id: "1") { id } }'],
      ['a key selected twice', '{ car(id: "1") { id } car(id: "1") { model } }'],
      ['no fetch at all', '{ __typename }'],
    ])('%s', (_name, query) => {
      expect(answerable(query)).toBeNull();
    });
  });

  // Each answered by both executors from the same subgraphs: the same fetches, the same bytes.
  it.each([
    ['one fetch', '{ car(id: "1") { __typename id model seats status tags owner { name } } count ratio when }'],
    [
      'one fetch, the client’s key order (the planner puts __typename first)',
      '{ car(id: "1") { id model __typename } }',
    ],
    ['one fetch, an alias named __proto__', '{ car(id: "1") { id __proto__: model __typename } }'],
    ['three subgraphs, a null entity among them', '{ cars { id model center { code name budget } } }'],
    [
      'fragments and __typename across subgraphs',
      '{ cars { ...F center { ... on Center { name } budget __typename } } } fragment F on Car { model __typename }',
    ],
    [
      'aliases across subgraphs',
      '{ a: car(id: "1") { center { n: name } } b: car(id: "2") { center { code budget } } }',
    ],
    ['two root fetches side by side', '{ budgetCount count }'],
  ])('%s: the answer Apollo’s executor makes, from the same fetches', async (_name, query) => {
    const own = await ownAnswer(query);
    const apollo = await apolloAnswer(query);
    expect(apollo.result.errors).toBeUndefined();
    expect(own.answer).not.toBe(NOT_AS_IS);
    expect(JSON.stringify(own.answer)).toBe(JSON.stringify(apollo.result.data));
    expect(own.calls).toEqual(apollo.calls);
  });

  // @include and @skip, each way: the plan's conditions, the fetch's directives, and the answer's shaping.
  const CONDITIONAL =
    'query ($c: Boolean!, $m: Boolean = true, $s: Boolean = false) { cars { id model @include(if: $m) center @include(if: $c) { name ... @skip(if: $s) { budget code } } ...O @skip(if: $c) } } fragment O on Car { seats }';
  it.each([
    [{ c: true }],
    [{ c: false }],
    [{ c: true, m: false, s: true }],
    [{ c: false, m: false, s: true }],
    [{ c: true, s: false }],
  ])('@include and @skip with %j: the answer Apollo’s executor makes, from the same fetches', async (variables) => {
    const own = await ownAnswer(CONDITIONAL, { variables });
    const apollo = await apolloAnswer(CONDITIONAL, { variables });
    expect(apollo.result.errors).toBeUndefined();
    expect(own.answer).not.toBe(NOT_AS_IS);
    expect(JSON.stringify(own.answer)).toBe(JSON.stringify(apollo.result.data));
    expect(own.calls).toEqual(apollo.calls);
  });

  // Apollo Server refuses such variables before either executor sees them (and so does planAnswers.ts).
  it('a condition on a variable that is not a boolean: left to Apollo, whose executor fails', async () => {
    const own = await ownAnswer(CONDITIONAL, { variables: { c: 'yes' } });
    expect(own.answer).toBe(NOT_AS_IS);
    await expect(apolloAnswer(CONDITIONAL, { variables: { c: 'yes' } })).rejects.toThrow(/non-boolean/);
  });

  it('with variables: the same fetches, with the same variables, and the same answer', async () => {
    const query = 'query ($id: ID!, $unused: Int) { car(id: $id) { model center { name budget } } }';
    const variables = { id: '2', unused: 1 };
    const own = await ownAnswer(query, { variables });
    const apollo = await apolloAnswer(query, { variables });
    expect(JSON.stringify(own.answer)).toBe(JSON.stringify(apollo.result.data));
    expect(own.calls).toEqual(apollo.calls);
    expect(own.calls).toHaveLength(3);
  });

  const QUERY = '{ car(id: "1") { __typename id model seats status tags owner { name } } count ratio when }';
  const CAR = { __typename: 'Car', id: '1', model: 'Clio', seats: 5, status: 'ACTIVE', tags: ['a'], owner: null };
  const DATA = { car: CAR, count: 3, ratio: 1.5, when: { any: 'custom scalar value' } };
  /** Replaces one subgraph's data. */
  const answering =
    (subgraph: Subgraph, data: unknown): Tamper =>
    (name, response) =>
      name === subgraph ? { data: data as Record<string, unknown> } : response;

  it('answers with the very data when its keys are those selected, in the client’s order', () => {
    expect(answerOf(answerable(QUERY)!, DATA)).toBe(DATA);
  });

  it('drops what the client did not select, as Apollo does', async () => {
    const tamper = answering('cars', { ...DATA, extra: 1, car: { ...CAR, more: 2 } });
    const own = await ownAnswer(QUERY, { tamper });
    const apollo = await apolloAnswer(QUERY, { tamper });
    expect(JSON.stringify(own.answer)).toBe(JSON.stringify(apollo.result.data));
    expect(JSON.stringify(own.answer)).not.toContain('extra');
  });

  // Data Apollo's executor changes, or errors it reports: each is left to it, which makes the
  // answer from the fetches already made, without calling a subgraph again.
  const MULTI = '{ cars { id model center { code name budget } } }';
  it.each([
    ['null for a non-null field', QUERY, answering('cars', { ...DATA, car: { ...CAR, model: null } })],
    ['an enum value the API schema hides', QUERY, answering('cars', { ...DATA, car: { ...CAR, status: 'HIDDEN' } })],
    ['an enum value nobody declared', QUERY, answering('cars', { ...DATA, car: { ...CAR, status: 'LOST' } })],
    ['a fraction for an Int', QUERY, answering('cars', { ...DATA, count: 2.5 })],
    ['a string for an Int', QUERY, answering('cars', { ...DATA, count: '3' })],
    ['a number for a String', QUERY, answering('cars', { ...DATA, car: { ...CAR, model: 7 } })],
    ['a string for a Float', QUERY, answering('cars', { ...DATA, ratio: '1.5' })],
    ['null in a list of non-null', QUERY, answering('cars', { ...DATA, car: { ...CAR, tags: ['a', null] } })],
    ['a key missing', QUERY, answering('cars', { car: CAR, count: 3, ratio: 1.5 })],
    ['another __typename', QUERY, answering('cars', { ...DATA, car: { ...CAR, __typename: 'Bike' } })],
    ['a list for an object', QUERY, answering('cars', { ...DATA, car: [CAR] })],
    ['an object for a list', QUERY, answering('cars', { ...DATA, car: { ...CAR, tags: { a: 1 } } })],
    [
      'a subgraph’s error in the second stage',
      MULTI,
      ((name, response) =>
        name === 'centers'
          ? { ...response, errors: [{ message: 'centers failed', path: ['_entities', 1] }] }
          : response) as Tamper,
    ],
    ['no data from the last stage', MULTI, ((name, response) => (name === 'budgets' ? {} : response)) as Tamper],
    [
      'fewer entities than asked for',
      MULTI,
      ((name, response) =>
        name === 'centers'
          ? { data: { _entities: (response.data!._entities as unknown[]).slice(1) } }
          : response) as Tamper,
    ],
    [
      'a string for an Int in the last stage',
      MULTI,
      ((name, response) =>
        name === 'budgets'
          ? { data: { _entities: (response.data!._entities as object[]).map((e) => ({ ...e, budget: 'many' })) } }
          : response) as Tamper,
    ],
  ])('%s: left to Apollo’s executor, which reuses every fetch made', async (_name, query, tamper) => {
    const own = await ownAnswer(query, { tamper });
    expect(own.answer).toBe(NOT_AS_IS);
    const fresh = await apolloAnswer(query, { tamper });
    // Apollo's executor given the fetches made (the subgraph client's prefetched hand-off).
    const context = { ...newContext(), prefetched: own.prefetched };
    const handedOff = await apolloAnswer(query, { tamper, context });
    expect(handedOff.calls).toEqual([]);
    expect(context.prefetched).toEqual([]);
    expect(JSON.stringify(handedOff.result)).toBe(JSON.stringify(fresh.result));
  });

  it.each([
    ['no data', null],
    ['a key more at the root, as is', { ...DATA, extra: 1 }],
  ])('answerOf on %s', (name, data) => {
    const answer = answerOf(answerable(QUERY)!, data);
    if (data === null) expect(answer).toBe(NOT_AS_IS);
    else expect(JSON.stringify(answer)).toBe(JSON.stringify(DATA));
  });

  it('keeps what Apollo keeps: an integer or a string for ID, any custom scalar, null where nullable', async () => {
    const query = '{ car(id: "1") { id seats tags owner { name } } when }';
    for (const data of [
      { car: { id: 7, seats: null, tags: null, owner: { name: 'x' } }, when: 12 },
      { car: null, when: null },
      { car: { id: '7', seats: -3, tags: [], owner: null }, when: [1, { a: 2 }] },
    ]) {
      const tamper = answering('cars', data);
      const own = await ownAnswer(query, { tamper });
      const apollo = await apolloAnswer(query, { tamper });
      expect([apollo.result.errors, JSON.stringify(apollo.result.data)]).toEqual([
        undefined,
        JSON.stringify(own.answer),
      ]);
    }
  });
});
