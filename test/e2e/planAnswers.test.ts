import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { firstCarId } from '@car-check/test-support/graphql';
import { countsByOutcome } from '@car-check/test-support/management';
import { comparableAnswer as comparable, sendRaw } from '@car-check/test-support/rawHttp';

const backend = ONE_BACKEND;

/**
 * FAST_PLAN_EXECUTION (on by default): a query planned as several fetches has its
 * plan run by the gateway's own executor, and, when the data makes the answer as
 * Apollo would, skips Apollo Server's pipeline and Apollo Gateway's executor.
 * Clients must not be able to tell: every answer here is compared, status, headers
 * and bytes, with a gateway of the same graph that has it off; each subgraph
 * receives as many calls from both; and a query handed back to Apollo calls no
 * subgraph twice.
 */
describe(`the gateway’s own plan execution: the same bytes as Apollo’s, the same subgraph calls (${backend})`, () => {
  let graph: TestGraph;
  const proxies: Record<string, DelayProxy> = {};
  let apolloUrl: string;
  let admin: string;
  let viewer: string;
  let carId: string;

  const through = (name: string) => async (url: string) => {
    proxies[name] = new DelayProxy(url);
    return proxies[name].start();
  };

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      routeThrough: { car: through('car'), 'cost-center': through('cost-center'), user: through('user') },
    });
    // The same graph, through the same proxies, every plan of several fetches run by Apollo's executor.
    apolloUrl = await graph.startGateway({}, { FAST_PLAN_EXECUTION: 'false' });
    admin = await graph.login('admin');
    viewer = await graph.login('viewer');
    carId = await firstCarId(graph.gatewayUrl, admin);
  });
  afterAll(async () => {
    await graph?.stop();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.stop()));
  });

  /** The gateway's count of plans of several fetches it ran, by outcome (answered, shaped_by_apollo). */
  const planAnswers = (url: string) =>
    countsByOutcome(url, 'gateway_plan_answers_total', ['answered', 'shaped_by_apollo']);

  const callCounts = () => Object.fromEntries(Object.entries(proxies).map(([name, proxy]) => [name, proxy.requests]));

  /**
   * The same request to both gateways: their answers, the calls each subgraph received for
   * each, and what the gateway's executor did with the default gateway's request.
   */
  async function both(request: { headers?: Record<string, string>; body?: string }) {
    const ask = async (url: string) => {
      const before = callCounts();
      const response = await sendRaw(url, request);
      const after = callCounts();
      return {
        response,
        calls: Object.fromEntries(Object.keys(after).map((name) => [name, after[name]! - before[name]!])),
      };
    };
    // The gateway plans an operation itself the second time it sees it (the first, Apollo answers it).
    await sendRaw(graph.gatewayUrl, request);
    const counted = await planAnswers(graph.gatewayUrl);
    const own = await ask(graph.gatewayUrl);
    const after = await planAnswers(graph.gatewayUrl);
    const apollo = await ask(apolloUrl);
    const executor = {
      answered: after.answered! - counted.answered!,
      shapedByApollo: after.shaped_by_apollo! - counted.shaped_by_apollo!,
    };
    return { own, apollo, executor };
  }

  const post = (token: string | undefined, query: string, variables?: unknown) => ({
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, ...(variables === undefined ? {} : { variables }) }),
  });

  const CONDITIONAL =
    'query ($id: ID!, $center: Boolean!) { car(id: $id) { id model costCenter @include(if: $center) { code } brand @skip(if: $center) } }';
  const THREE_SUBGRAPHS =
    '{ cars(first: 5) { totalCount edges { node { id brand costCenter { code societyName manager { username isActive } } } } } }';

  it.each([
    [
      'a car and its cost center',
      () =>
        post(admin, 'query ($id: ID!) { car(id: $id) { id model costCenter { code societyName } } }', { id: carId }),
      2,
    ],
    ['a page of cars, their cost centers and managers (three subgraphs)', () => post(admin, THREE_SUBGRAPHS), 3],
    [
      'aliases, fragments and __typename across subgraphs',
      () =>
        post(
          admin,
          'query ($id: ID!) { mine: car(id: $id) { ...C __typename } } fragment C on Car { label: brand costCenter { __typename ... on CostCenter { society: societyName } } }',
          { id: carId },
        ),
      2,
    ],
    [
      '@include on a variable across subgraphs, included',
      () => post(admin, CONDITIONAL, { id: carId, center: true }),
      2,
    ],
    [
      '@include on a variable across subgraphs, left out',
      () => post(admin, CONDITIONAL, { id: carId, center: false }),
      1,
    ],
  ])('%s: answered by the gateway’s executor, as Apollo answers it', async (_name, request, subgraphs) => {
    const { own, apollo, executor } = await both(request());
    expect(own.response.status).toBe(200);
    expect((own.response.json as { errors?: unknown }).errors).toBeUndefined();
    expect(comparable(own.response)).toEqual(comparable(apollo.response));
    expect(own.calls).toEqual(apollo.calls);
    expect(Object.values(own.calls).filter((calls) => calls > 0)).toHaveLength(subgraphs);
    expect(executor).toEqual({ answered: 1, shapedByApollo: 0 });
  });

  // The last column: whether the gateway ran the plan before handing the answer to Apollo.
  it.each([
    [
      'a car that does not exist (the car subgraph’s error)',
      () => post(admin, 'query ($id: ID!) { car(id: $id) { id costCenter { code } } }', { id: 'no-such-car' }),
      1,
    ],
    [
      'a field the viewer may not read (authorization)',
      () =>
        post(viewer, 'query ($id: ID!) { car(id: $id) { brand history { totalCount } costCenter { code } } }', {
          id: carId,
        }),
      0,
    ],
    ['an anonymous caller', () => post(undefined, THREE_SUBGRAPHS), 0],
  ])('%s: handed to Apollo, the same answer, no subgraph called twice', async (_name, request, ran) => {
    const { own, apollo, executor } = await both(request());
    expect(comparable(own.response)).toEqual(comparable(apollo.response));
    expect(own.calls).toEqual(apollo.calls);
    expect(executor).toEqual({ answered: 0, shapedByApollo: ran });
  });

  it('a subgraph down in the second stage: the same coded errors, the first stage called once', async () => {
    const request = post(admin, THREE_SUBGRAPHS);
    await sendRaw(graph.gatewayUrl, request);
    const ask = async (url: string) => {
      proxies['cost-center']!.dropNext = 1_000;
      const before = proxies.car!.requests;
      try {
        return { response: await sendRaw(url, request), carCalls: proxies.car!.requests - before };
      } finally {
        proxies['cost-center']!.dropNext = 0;
      }
    };
    const own = await ask(graph.gatewayUrl);
    const apollo = await ask(apolloUrl);
    expect(comparable(own.response)).toEqual(comparable(apollo.response));
    expect([own.carCalls, apollo.carCalls]).toEqual([1, 1]);
    const errors = (own.response.json as { errors: { extensions: { code: string } }[] }).errors;
    expect(errors.map((error) => error.extensions.code)).toContain('UNAVAILABLE');
  });
});
