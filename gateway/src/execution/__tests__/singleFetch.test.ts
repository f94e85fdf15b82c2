import type { GraphQLDataSource } from '@apollo/gateway';
import { getOperationAST, parse } from 'graphql';
import { ANONYMOUS, createLogger } from '@car-check/service-kit';
import { composedSupergraph } from '../../__tests__/composedSupergraph';
import type { GatewayContext } from '../../context';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import { PlanRunner, runnerRequest } from '../planner';
import { answerOf, NOT_AS_IS, singleFetchOf, type SingleFetch } from '../singleFetch';

/**
 * Which plans the single-fetch shortcut takes, and that its answer is the one
 * Apollo Gateway's executor makes of the same fetch's data: each data below
 * goes through both, in process.
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
  type Car @key(fields: "id") { id: ID! center: String }
`;

describe('the single-fetch shortcut', () => {
  const sdl = composedSupergraph({ cars: CARS_SDL, centers: CENTERS_SDL });
  const served = servedSchemaOf(sdl, 10);
  const runner = new PlanRunner(sdl, served.schema);
  const log = createLogger({ service: 'gateway-test', level: 'silent', pretty: false });

  const single = (query: string): SingleFetch | null => {
    const document = parse(query);
    const operation = getOperationAST(document)!;
    return singleFetchOf(runner.plan(document, undefined), runner, document, operation);
  };

  /** What Apollo Gateway's executor answers when the subgraph returns `data` for `query`'s fetch. */
  const apolloAnswer = async (query: string, data: unknown, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    const operation = getOperationAST(document)!;
    const context: GatewayContext = {
      requestId: 'r1',
      caller: ANONYMOUS,
      signal: new AbortController().signal,
      deadline: Date.now() + 30_000,
      idempotencyKey: null,
      subgraphCalls: [],
    };
    const cars: GraphQLDataSource = {
      process: async () => ({ data: structuredClone(data) as Record<string, unknown> }),
    };
    return runner.execute(
      runner.plan(document, undefined),
      { cars },
      runnerRequest({ source: query, document, operation, queryHash: 'h', variables }, context, runner.schema, log),
    );
  };

  describe('takes a plan of one fetch whose data is the answer', () => {
    it.each([
      ['a root field with arguments', '{ car(id: "1") { id model } }'],
      ['variables', 'query ($id: ID!) { car(id: $id) { id model } }'],
      ['aliases and __typename', '{ first: car(id: "1") { __typename name: model } cars { id } }'],
      ['fragments on the same type', '{ car(id: "1") { ...F ... on Car { seats } } } fragment F on Car { id }'],
      ['nested objects and lists', '{ cars { id tags owner { name } } }'],
      ['leaves at the root', '{ count ratio flag when }'],
    ])('%s', (_name, query) => {
      expect(single(query)?.fetch.serviceName).toBe('cars');
    });
  });

  describe('leaves every other plan to Apollo', () => {
    it.each([
      ['fields of two subgraphs', '{ car(id: "1") { id center } }'],
      ['an abstract type', '{ things { ... on Car { id } } }'],
      ['a mutation', 'mutation { rename(id: "1") { id } }'],
      ['@skip', '{ car(id: "1") { id model @skip(if: true) } }'],
      ['@include on a fragment', '{ car(id: "1") { id ... @include(if: false) { model } } }'],
      ['introspection beside it', '{ __schema { queryType { name } } car(id: "1") { id } }'],
      ['a key selected twice', '{ car(id: "1") { id } car(id: "1") { model } }'],
      ['no fetch at all', '{ __typename }'],
    ])('%s', (_name, query) => {
      expect(single(query)).toBeNull();
    });
  });

  const QUERY = '{ car(id: "1") { __typename id model seats status tags owner { name } } count ratio when }';
  const CAR = { __typename: 'Car', id: '1', model: 'Clio', seats: 5, status: 'ACTIVE', tags: ['a'], owner: null };
  const DATA = { car: CAR, count: 3, ratio: 1.5, when: { any: 'custom scalar value' } };

  it('answers with the very data when its keys are in the client’s order, as Apollo’s executor answers', async () => {
    const fetch = single(QUERY)!;
    expect(answerOf(fetch, DATA)).toBe(DATA);
    const apollo = await apolloAnswer(QUERY, DATA);
    expect(apollo.errors).toBeUndefined();
    expect(JSON.stringify(answerOf(fetch, DATA))).toBe(JSON.stringify(apollo.data));
  });

  it('writes the keys in the client’s order when the subgraph’s differs (the planner puts __typename first)', async () => {
    const query = '{ car(id: "1") { id model __typename } }';
    const fetched = { car: { __typename: 'Car', id: '1', model: 'Clio' } };
    const answer = answerOf(single(query)!, fetched);
    expect(JSON.stringify(answer)).toBe('{"car":{"id":"1","model":"Clio","__typename":"Car"}}');
    expect(JSON.stringify(answer)).toBe(JSON.stringify((await apolloAnswer(query, fetched)).data));
  });

  it('keeps an alias named __proto__ as a key of the answer', async () => {
    const query = '{ car(id: "1") { id __proto__: model __typename } }';
    const fetched = JSON.parse('{"car":{"__typename":"Car","id":"1","__proto__":"Clio"}}') as unknown;
    const answer = JSON.stringify(answerOf(single(query)!, fetched));
    expect(answer).toBe('{"car":{"id":"1","__proto__":"Clio","__typename":"Car"}}');
    expect(answer).toBe(JSON.stringify((await apolloAnswer(query, fetched)).data));
  });

  // Data Apollo's executor changes: each is left to it, which nulls it with an error.
  it.each([
    ['null for a non-null field', { ...DATA, car: { ...CAR, model: null } }],
    ['an enum value the API schema hides', { ...DATA, car: { ...CAR, status: 'HIDDEN' } }],
    ['an enum value nobody declared', { ...DATA, car: { ...CAR, status: 'LOST' } }],
    ['a fraction for an Int', { ...DATA, count: 2.5 }],
    ['a string for an Int', { ...DATA, count: '3' }],
    ['a number for a String', { ...DATA, car: { ...CAR, model: 7 } }],
    ['a string for a Float', { ...DATA, ratio: '1.5' }],
    ['null in a list of non-null', { ...DATA, car: { ...CAR, tags: ['a', null] } }],
  ])('%s: not as is, and Apollo’s executor reports it', async (_name, data) => {
    expect(answerOf(single(QUERY)!, data)).toBe(NOT_AS_IS);
    const apollo = await apolloAnswer(QUERY, data);
    expect(JSON.stringify(apollo.data)).not.toBe(JSON.stringify(data));
  });

  it.each([
    ['a key missing', { car: CAR, count: 3, ratio: 1.5 }],
    ['a key more', { ...DATA, extra: 1 }],
    ['an object for a list', { ...DATA, car: { ...CAR, tags: { a: 1 } } }],
    ['another __typename', { ...DATA, car: { ...CAR, __typename: 'Bike' } }],
    ['a list for an object', { ...DATA, car: [CAR] }],
    ['no data', null],
  ])('%s: not as is', (_name, data) => {
    expect(answerOf(single(QUERY)!, data)).toBe(NOT_AS_IS);
  });

  it('keeps what Apollo keeps: an integer or a string for ID, any custom scalar, null where nullable', async () => {
    const query = '{ car(id: "1") { id seats tags owner { name } } when }';
    for (const data of [
      { car: { id: 7, seats: null, tags: null, owner: { name: 'x' } }, when: 12 },
      { car: null, when: null },
      { car: { id: '7', seats: -3, tags: [], owner: null }, when: [1, { a: 2 }] },
    ]) {
      const answer = answerOf(single(query)!, data);
      expect(answer).toBe(data);
      const apollo = await apolloAnswer(query, data);
      expect([apollo.errors, JSON.stringify(apollo.data)]).toEqual([undefined, JSON.stringify(answer)]);
    }
  });
});
