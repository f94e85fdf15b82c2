import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { firstCarId } from '@car-check/test-support/graphql';
import { countsByOutcome } from '@car-check/test-support/management';
import { comparableAnswer as comparable, sendRaw } from '@car-check/test-support/rawHttp';

const backend = ONE_BACKEND;

/**
 * FAST_SINGLE_FETCH (on by default): a query planned as one fetch, whose data is
 * the answer as is, skips Apollo Server's pipeline and Apollo Gateway's executor.
 * Clients must not be able to tell: every answer here is compared, status, headers
 * and bytes, with a gateway of the same graph that has the shortcut off; and a
 * query the shortcut hands back to Apollo still makes one subgraph call.
 */
describe(`single-fetch answers: the same bytes as Apollo's pipeline, one subgraph call (${backend})`, () => {
  let graph: TestGraph;
  let carProxy: DelayProxy;
  let apolloUrl: string;
  let admin: string;
  let viewer: string;
  let carId: string;

  beforeAll(async () => {
    graph = await startGraph(backend, {
      seed: true,
      routeThrough: {
        car: async (url) => {
          carProxy = new DelayProxy(url);
          return carProxy.start();
        },
      },
    });
    // The same graph, through the same proxy to car, answered by Apollo's pipeline every time.
    apolloUrl = await graph.startGateway({}, { FAST_SINGLE_FETCH: 'false' });
    admin = await graph.login('admin');
    viewer = await graph.login('viewer');
    carId = await firstCarId(graph.gatewayUrl, admin);
  });
  afterAll(async () => {
    await graph?.stop();
    await carProxy?.stop();
  });

  /** The gateway's count of single fetches, by outcome (answered, shaped_by_apollo). */
  const singleFetches = (url: string) =>
    countsByOutcome(url, 'gateway_single_fetch_answers_total', ['answered', 'shaped_by_apollo']);

  /**
   * The same request to both gateways: their answers, the car subgraph's calls each
   * made, and what the shortcut did with the default gateway's request.
   */
  async function both(request: { method?: string; path?: string; headers?: Record<string, string>; body?: string }) {
    const ask = async (url: string) => {
      const before = carProxy.requests;
      const response = await sendRaw(url, request);
      return { response, calls: carProxy.requests - before };
    };
    // The shortcut plans an operation the second time it sees it (the first, Apollo answers it).
    await sendRaw(graph.gatewayUrl, request);
    const counted = await singleFetches(graph.gatewayUrl);
    const fast = await ask(graph.gatewayUrl);
    const after = await singleFetches(graph.gatewayUrl);
    const apollo = await ask(apolloUrl);
    const shortcut = {
      answered: after.answered! - counted.answered!,
      shapedByApollo: after.shaped_by_apollo! - counted.shaped_by_apollo!,
    };
    return { fast, apollo, shortcut };
  }

  const post = (token: string | undefined, query: string, variables?: unknown, accept?: string) => ({
    headers: {
      'content-type': 'application/json',
      ...(accept ? { accept } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, ...(variables === undefined ? {} : { variables }) }),
  });

  const CAR = 'query Car($id: ID!) { car(id: $id) { id brand model version } }';

  it.each([
    ['a car by id', () => post(admin, CAR, { id: carId })],
    [
      'a page of cars, with its count and page info',
      () =>
        post(
          admin,
          '{ cars(first: 3) { totalCount edges { cursor node { id brand } } pageInfo { hasNextPage endCursor } } }',
        ),
    ],
    [
      'aliases, __typename and fragments on the same type',
      () =>
        post(
          admin,
          'query F($id: ID!) { mine: car(id: $id) { ...Names __typename ... on Car { id } } } fragment Names on Car { brand label: model }',
          { id: carId },
        ),
    ],
    ['a legacy client (application/json)', () => post(admin, CAR, { id: carId }, 'application/json')],
    [
      '@include and @skip',
      () =>
        post(
          admin,
          'query($id: ID!, $v: Boolean!) { car(id: $id) { id version @include(if: $v) model @skip(if: $v) } }',
          { id: carId, v: false },
        ),
    ],
  ])('%s: answered without Apollo, as Apollo answers it', async (_name, request) => {
    const { fast, apollo, shortcut } = await both(request());
    expect(fast.response.status).toBe(200);
    expect((fast.response.json as { errors?: unknown }).errors).toBeUndefined();
    expect(comparable(fast.response)).toEqual(comparable(apollo.response));
    expect([fast.calls, apollo.calls]).toEqual([1, 1]);
    expect(shortcut).toEqual({ answered: 1, shapedByApollo: 0 });
  });

  it('a GET query: answered as Apollo answers it', async () => {
    const search = new URLSearchParams({ query: CAR, variables: JSON.stringify({ id: carId }) });
    const { fast, apollo, shortcut } = await both({
      method: 'GET',
      path: `/graphql?${search.toString()}`,
      // A browser could send a GET cross-site without a preflight: the gateway asks for this header.
      headers: { authorization: `Bearer ${admin}`, 'apollo-require-preflight': 'true' },
    });
    expect(fast.response.status).toBe(200);
    expect(comparable(fast.response)).toEqual(comparable(apollo.response));
    expect([fast.calls, apollo.calls]).toEqual([1, 1]);
    expect(shortcut).toEqual({ answered: 1, shapedByApollo: 0 });
  });

  // The last column: whether the shortcut made the fetch before handing the answer to Apollo.
  it.each([
    ['a car that does not exist (the subgraph’s error)', () => post(admin, CAR, { id: 'no-such-car' }), 1],
    [
      'a field the viewer may not read (authorization)',
      () => post(viewer, `query($id: ID!) { car(id: $id) { brand history { totalCount } } }`, { id: carId }),
      0,
    ],
    ['an anonymous caller', () => post(undefined, CAR, { id: carId }), 0],
    ['variables Apollo refuses', () => post(admin, CAR, { id: { not: 'an id' } }), 0],
    ['a variable left out', () => post(admin, CAR, {}), 0],
  ])('%s: handed to Apollo, the same answer, never a second subgraph call', async (_name, request, prefetched) => {
    const { fast, apollo, shortcut } = await both(request());
    expect(comparable(fast.response)).toEqual(comparable(apollo.response));
    expect(fast.calls).toBe(apollo.calls);
    expect(fast.calls).toBeLessThanOrEqual(1);
    expect(shortcut).toEqual({ answered: 0, shapedByApollo: prefetched });
  });

  it('a subgraph that is down: the same coded error', async () => {
    const ask = async (url: string) => {
      carProxy.dropNext = 1_000;
      try {
        return await sendRaw(url, post(admin, CAR, { id: carId }));
      } finally {
        carProxy.dropNext = 0;
      }
    };
    const fast = await ask(graph.gatewayUrl);
    const apollo = await ask(apolloUrl);
    expect(comparable(fast)).toEqual(comparable(apollo));
    expect((fast.json as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'UNAVAILABLE',
    );
  });
});
