import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { parse } from 'graphql';
import { ANONYMOUS, type CallerIdentity, createLogger, ServiceMetrics } from '@car-check/service-kit';
import { composedSupergraph } from '../../__tests__/composedSupergraph';
import type { GatewayContext } from '../../context';
import type { ExecutorLayer } from '../../execution/executor';
import { EXECUTOR_LAYERS } from '../../execution/layers';
import { PlanRunner } from '../../execution/planner';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import { DeferredAnswer } from '../deferredAnswer';
import { deferredOperation } from '../deferredDocument';
import type { DeferredPart } from '../incremental';

/**
 * A query with @defer through the gateway's planner and executor, in
 * process: `cars` lists cars, `centers` answers their cost center (and a
 * field that needs a signed-in caller), when the test lets it. Checks the
 * parts, that the first one does not wait for the slow subgraph, that the
 * primary's fetch goes out once, authorization per part, and the deadline.
 */
const CARS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type Query { cars: [Car!]! }
  type Car @key(fields: "id") { id: ID! model: String! }
`;
const CENTERS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated"])
  type Query { ping: Int }
  type Car @key(fields: "id") { id: ID! center: String secret: String @authenticated }
`;
const QUERY = 'query Page { cars { id model ... @defer(label: "slow") { center secret } } }';

describe('a query with @defer through the planner and executor', () => {
  const sdl = composedSupergraph({ cars: CARS_SDL, centers: CENTERS_SDL });
  const served = servedSchemaOf(sdl, 10);
  const runner = new PlanRunner(sdl, served.schema);
  const log = createLogger({ service: 'gateway-test', level: 'silent', pretty: false });
  const metrics = new ServiceMetrics('gateway_defer_test');
  const signedIn: CallerIdentity = { ...ANONYMOUS, userId: '00000000-0000-4000-8000-000000000001' };

  let carCalls: number;
  let release: () => void;
  let centersMayAnswer: Promise<void>;
  const cars: GraphQLDataSource = {
    process: async () => {
      carCalls += 1;
      return {
        data: {
          cars: [
            { __typename: 'Car', id: '1', model: 'Clio' },
            { __typename: 'Car', id: '2', model: 'Zoe' },
          ],
        },
      };
    },
  };
  const centers: GraphQLDataSource = {
    process: async (options: GraphQLDataSourceProcessOptions) => {
      await centersMayAnswer;
      const representations = (options.request.variables?.representations ?? []) as { id: string }[];
      return { data: { _entities: representations.map(({ id }) => ({ center: `CC-${id}`, secret: 's' })) } };
    },
  };

  beforeEach(() => {
    carCalls = 0;
    centersMayAnswer = new Promise((resolve) => (release = resolve));
  });

  const answer = (caller: CallerIdentity, deadlineMs = 30_000, query = QUERY, layers = EXECUTOR_LAYERS) => {
    const document = parse(query);
    const context: GatewayContext = {
      requestId: 'r1',
      caller,
      signal: new AbortController().signal,
      deadline: Date.now() + deadlineMs,
      idempotencyKey: null,
      subgraphCalls: [],
    };
    return new DeferredAnswer(
      {
        deferred: deferredOperation(document, 'Page', {})!,
        operationName: 'Page',
        variables: {},
        method: 'POST',
        context,
        started: performance.now(),
      },
      {
        runner: () => runner,
        subgraphs: () => ({ cars, centers }),
        served: () => served,
        layers,
        log,
        metrics,
      },
    ).start();
  };

  const allParts = async (stream: AsyncIterable<DeferredPart>) => {
    const parts: DeferredPart[] = [];
    for await (const part of stream) parts.push(part);
    return parts;
  };

  it('sends the first part before the slow subgraph answers, then one result per car; the cars are fetched once', async () => {
    const iterator = answer(signedIn)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toEqual({
      data: {
        cars: [
          { id: '1', model: 'Clio' },
          { id: '2', model: 'Zoe' },
        ],
      },
      hasNext: true,
    });
    release();
    const second = await iterator.next();
    expect(second.value).toEqual({
      incremental: [
        { data: { center: 'CC-1', secret: 's' }, path: ['cars', 0], label: 'slow' },
        { data: { center: 'CC-2', secret: 's' }, path: ['cars', 1], label: 'slow' },
      ],
      hasNext: false,
    });
    expect((await iterator.next()).done).toBe(true);
    expect(carCalls).toBe(1);
  });

  it('masks a deferred field the caller may not read, with its code on its path', async () => {
    release();
    const parts = await allParts(answer(ANONYMOUS));
    expect(parts).toHaveLength(2);
    const items = parts[1]!.incremental!;
    expect(items.map((item) => item.data)).toEqual([
      { center: 'CC-1', secret: null },
      { center: 'CC-2', secret: null },
    ]);
    expect(items[0]!.errors).toEqual([
      expect.objectContaining({
        path: ['cars', 0, 'secret'],
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    ]);
  });

  it('answers `{}` for an object whose selection is all deferred', async () => {
    release();
    const parts = await allParts(answer(signedIn, 30_000, 'query Page { cars { ... @defer { id center } } }'));
    expect(parts[0]).toEqual({ data: { cars: [{}, {}] }, hasNext: true });
    expect(parts[1]!.incremental!.map((item) => item.data)).toEqual([
      { id: '1', center: 'CC-1' },
      { id: '2', center: 'CC-2' },
    ]);
  });

  it('answers an executor that throws with one coded INTERNAL error, never a rejection', async () => {
    const throwing: ExecutorLayer = {
      name: 'throwing',
      wrap: () => () => Promise.reject(new Error('boom')),
    };
    const parts = await allParts(answer(signedIn, 30_000, QUERY, [throwing]));
    expect(parts).toEqual([
      {
        data: null,
        errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'INTERNAL' }) })],
        hasNext: false,
      },
    ]);
  });

  it('ends with DEADLINE_EXCEEDED when a deferred part misses the deadline', async () => {
    const parts = await allParts(answer(signedIn, 300));
    expect(parts[0]).toMatchObject({ hasNext: true });
    expect(parts.at(-1)).toEqual({
      errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'DEADLINE_EXCEEDED' }) })],
      hasNext: false,
    });
    release();
  });
});
