import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { type DocumentNode, getOperationAST, parse } from 'graphql';
import { ANONYMOUS, type CallerIdentity, MEDIA_TYPES, ServiceMetrics } from '@car-check/service-kit';
import { LogCapture } from '@car-check/test-support/logCapture';
import { composedSupergraph } from '../../__tests__/composedSupergraph';
import type { GatewayContext } from '../../context';
import type { ExecutorLayer } from '../../execution/executor';
import { EXECUTOR_LAYERS } from '../../execution/layers';
import { PlanRunner } from '../../execution/planner';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import { PlanAnswers, type PlanAnswerOptions } from '../planAnswers';

/**
 * The gateway's own answers in process, for a plan of one fetch: when it answers
 * (and writes the log line Apollo's plugins would), when it leaves the query to
 * Apollo without fetching, and when it leaves it with the fetch made (`prefetched`).
 * Plans of several fetches: execution/__tests__/planAnswer.test.ts, test/e2e/planAnswers.test.ts.
 */
const CARS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated"])
  type Query { car(id: ID!): Car }
  type Car @key(fields: "id") { id: ID! model: String! plate: String @authenticated }
`;

describe('PlanAnswers', () => {
  const sdl = composedSupergraph({ cars: CARS_SDL });
  const served = servedSchemaOf(sdl, 10);
  const runner = new PlanRunner(sdl, served.schema);
  const signedIn: CallerIdentity = { ...ANONYMOUS, userId: '00000000-0000-4000-8000-000000000001' };
  let fetched: GraphQLDataSourceProcessOptions[];
  let reply: Record<string, unknown> | Error;
  const cars: GraphQLDataSource = {
    process: async (options) => {
      fetched.push(options);
      if (reply instanceof Error) throw reply;
      return structuredClone(reply);
    },
  };

  beforeEach(() => {
    fetched = [];
    reply = { data: { car: { id: '1', model: 'Clio' } } };
  });

  const setUp = (
    layers: readonly ExecutorLayer[] = EXECUTOR_LAYERS,
    options: PlanAnswerOptions = { single: true, several: true },
    planner: PlanRunner = runner,
  ) => {
    const capture = new LogCapture('gateway-test');
    const metrics = new ServiceMetrics('gateway_single_fetch_test');
    const answers = new PlanAnswers(
      {
        runner: () => planner,
        subgraphs: () => ({ cars }),
        served: () => served,
        layers,
        log: capture.log,
        metrics,
      },
      options,
    );
    return { answers, capture, metrics };
  };

  // As the documents stage does: one DocumentNode per text.
  const documents = new Map<string, DocumentNode>();
  const request = (query: string, caller = signedIn, variables: Record<string, unknown> = {}) => {
    let document = documents.get(query);
    if (!document) documents.set(query, (document = parse(query)));
    const context: GatewayContext = {
      requestId: 'r1',
      caller,
      signal: new AbortController().signal,
      deadline: Date.now() + 30_000,
      idempotencyKey: null,
      subgraphCalls: [],
    };
    return {
      document,
      operation: getOperationAST(document)!,
      params: { method: 'GET' as const, query, variables, extensions: {} },
      mediaType: MEDIA_TYPES.graphqlResponse,
      context,
      queryHash: 'h',
      source: query,
      started: performance.now(),
    };
  };

  /** The shortcut's answer the second time an operation is asked: the first time, Apollo answers it, unfetched here. */
  const secondAnswer = async (answers: PlanAnswers, asked: ReturnType<typeof request>) => {
    const before = fetched.length;
    expect(await answers.answer(asked)).toBeUndefined();
    expect(fetched.length).toBe(before);
    return answers.answer(asked);
  };

  it('answers a query of one fetch with its data, as Apollo Server writes it, with the log line its plugins write', async () => {
    const { answers, capture } = setUp();
    const asked = request('query Car($id: ID!) { car(id: $id) { id model } }', signedIn, { id: '1', unused: 2 });
    const response = await secondAnswer(answers, asked);
    expect(response?.status).toBe(200);
    expect(Object.fromEntries(response!.headers)).toEqual({
      'content-type': 'application/graphql-response+json; charset=utf-8',
      'cache-control': 'no-store',
    });
    expect(response?.body).toEqual({ kind: 'complete', string: '{"data":{"car":{"id":"1","model":"Clio"}}}\n' });
    // The fetch Apollo Gateway's executor makes: its own text, only the variables it uses.
    expect(fetched.map((options) => [options.request.query, { ...options.request.variables }])).toEqual([
      ['query Car__cars__0($id:ID!){car(id:$id){id model}}', { id: '1' }],
    ]);
    expect(asked.context.prefetched).toBeUndefined();
    expect(capture.entries().filter((line) => line.msg === 'request')).toEqual([
      expect.objectContaining({
        method: 'GET',
        operationName: 'Car',
        status: 200,
        outcome: 'OK',
        errors: 0,
        requestId: 'r1',
        userId: signedIn.userId,
      }),
    ]);
  });

  it('leaves to Apollo, unfetched, what a layer would act on: a field the caller may not read', async () => {
    const { answers } = setUp();
    expect(await secondAnswer(answers, request('{ car(id: "1") { id plate } }', ANONYMOUS))).toBeUndefined();
    expect(fetched).toEqual([]);
    // The same caller without that field, and a signed-in caller with it, are answered.
    expect(await secondAnswer(answers, request('{ car(id: "1") { id model } }', ANONYMOUS))).toBeDefined();
    reply = { data: { car: { id: '1', plate: 'AB-123' } } };
    expect(await answers.answer(request('{ car(id: "1") { id plate } }'))).toBeDefined();
  });

  it('skips no layer that does not say it may be skipped', async () => {
    const silent: ExecutorLayer = { name: 'new-layer', wrap: (next) => next };
    const { answers } = setUp([...EXECUTOR_LAYERS, silent]);
    expect(await secondAnswer(answers, request('{ car(id: "1") { id model } }'))).toBeUndefined();
    expect(fetched).toEqual([]);
  });

  it('leaves to Apollo, unfetched, variables it would refuse', async () => {
    const { answers } = setUp();
    const query = 'query ($id: ID!) { car(id: $id) { id } }';
    expect(await secondAnswer(answers, request(query, signedIn, {}))).toBeUndefined();
    expect(await answers.answer(request(query, signedIn, { id: { not: 'an id' } }))).toBeUndefined();
    expect(fetched).toEqual([]);
  });

  it('leaves an answer with errors to Apollo, with the fetch made, for its executor to take instead of fetching again', async () => {
    const { answers, capture } = setUp();
    reply = { data: { car: null }, errors: [{ message: 'no such car', path: ['car'] }] };
    const asked = request('{ car(id: "2") { id model } }');
    expect(await secondAnswer(answers, asked)).toBeUndefined();
    expect(fetched).toHaveLength(1);
    expect(asked.context.prefetched).toEqual([
      { subgraph: 'cars', query: fetched[0]!.request.query, variables: {}, response: reply },
    ]);
    // Apollo's pipeline writes this request's log line.
    expect(capture.entries().filter((line) => line.msg === 'request')).toEqual([]);
  });

  it('leaves data Apollo would change to Apollo, with the fetch made', async () => {
    const { answers } = setUp();
    reply = { data: { car: { id: '1', model: null } } };
    const asked = request('{ car(id: "1") { id model } }');
    expect(await secondAnswer(answers, asked)).toBeUndefined();
    expect(asked.context.prefetched?.map((fetch) => fetch.response)).toEqual([reply]);
  });

  it('leaves a fetch that throws to Apollo, whose executor reports it as a field’s error', async () => {
    const { answers } = setUp();
    reply = new Error('a bug in a client layer');
    const asked = request('{ car(id: "3") { id model } }');
    expect(await secondAnswer(answers, asked)).toBeUndefined();
    expect(fetched).toHaveLength(1);
    expect(asked.context.prefetched).toEqual([]);
  });

  it('leaves a query the planner refuses to Apollo, unfetched, and says so in the log', async () => {
    const refusing = Object.create(runner) as PlanRunner;
    refusing.plan = () => {
      throw new Error('a planner bug');
    };
    const { answers, capture } = setUp(EXECUTOR_LAYERS, { single: true, several: true }, refusing);
    expect(await secondAnswer(answers, request('{ car(id: "5") { id model } }'))).toBeUndefined();
    expect(fetched).toEqual([]);
    expect(capture.entries().map((line) => line.msg)).toContain('the gateway could not plan a query');
  });

  it('leaves plans of one fetch to Apollo, unfetched, with FAST_SINGLE_FETCH off', async () => {
    const { answers } = setUp(EXECUTOR_LAYERS, { single: false, several: true });
    expect(await secondAnswer(answers, request('{ car(id: "1") { id model } }'))).toBeUndefined();
    expect(fetched).toEqual([]);
  });
});
