import { seedCars, seedUsers } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { LogCapture } from '@car-check/test-support/logCapture';
import { waitFor } from '@car-check/test-support/waitFor';

// These tests are about the network between gateway and subgraphs, not the database: one backend is enough.
const backend = ONE_BACKEND;

const CARS_WITH_COST_CENTERS = `{
  cars(first: 3) { edges { node { id brand costCenter { code } } } }
  user(id: "${seedUsers[0]!.id}") { username }
}`;

/** Routes the gateway's calls to a subgraph through a DelayProxy, kept in `proxies`. */
function throughDelayProxy(proxies: DelayProxy[]) {
  return async (url: string) => {
    const proxy = new DelayProxy(url);
    proxies.push(proxy);
    return proxy.start();
  };
}

describe(`a subgraph that is down, slow or abandoned (${backend})`, () => {
  describe('UNAVAILABLE (14)', () => {
    let graph: TestGraph;
    beforeAll(async () => {
      graph = await startGraph(backend, { seed: true });
    });
    afterAll(async () => {
      await graph?.stop();
    });

    it('nulls only the fields that needed the dead subgraph, one error on each, and recovers when it returns', async () => {
      await graph.stopSubgraph('cost-center');
      const response = await graph.query<{
        cars: { edges: { node: { brand: string; costCenter: unknown } }[] };
        user: { username: string };
      }>(CARS_WITH_COST_CENTERS);
      // A partial success (data and errors): 294 (GraphQL over HTTP).
      expect(response.status).toBe(294);
      expect(response.data?.user).toEqual({ username: seedUsers[0]!.username });
      expect(response.data?.cars.edges.map((edge) => edge.node.brand)).toEqual(
        seedCars.slice(0, 3).map((car) => car.brand),
      );
      expect(response.data?.cars.edges.every((edge) => edge.node.costCenter === null)).toBe(true);
      // The error sits on the field the dead subgraph owed (`code`); its null reaches the nullable `costCenter`.
      expect(errorCodesByPath(response)).toEqual(
        [0, 1, 2].map((i) => [['cars', 'edges', i, 'node', 'costCenter', 'code'], 'UNAVAILABLE']),
      );
      for (const error of response.errors!)
        expect(error.extensions).toMatchObject({ grpcStatus: 14, serviceName: 'cost-center' });

      await graph.restartSubgraph('cost-center');
      const recovered = await graph.query(`{ costCenters { totalCount } }`);
      expect(recovered.errors).toBeUndefined();
    });
  });

  describe('a subgraph down when the gateway starts', () => {
    let graph: TestGraph;
    beforeAll(async () => {
      graph = await startGraph(backend, { seed: true, downAtStart: ['car'] });
    });
    afterAll(async () => {
      await graph?.stop();
    });

    it('the gateway starts, serves the other subgraphs, and recovers by itself', async () => {
      const down = await graph.query(
        `{ car(id: "${seedCars[0]!.id}") { id } user(id: "${seedUsers[0]!.id}") { username } }`,
      );
      expect(down.data).toEqual({ car: null, user: { username: seedUsers[0]!.username } });
      expect(errorCodesByPath(down)).toEqual([[['car'], 'UNAVAILABLE']]);

      await graph.restartSubgraph('car');
      const up = await graph.query(`{ cars { totalCount } }`);
      expect(up.errors).toBeUndefined();
    });
  });

  describe('DEADLINE_EXCEEDED (4)', () => {
    let graph: TestGraph;
    const proxies: DelayProxy[] = [];
    beforeAll(async () => {
      graph = await startGraph(backend, {
        seed: true,
        // Long enough for a loaded machine to answer within it; far shorter than the slow subgraph.
        gatewayEnv: { CAR_SUBGRAPH_TIMEOUT_MS: '3000' },
        routeThrough: { car: throughDelayProxy(proxies) },
      });
      // Signs in now: the timed request below is only itself, not a password hash too.
      await graph.query('{ me { id } }');
    });
    afterAll(async () => {
      await graph?.stop();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
    });

    it('answers at the deadline with the slow subgraph’s fields null, and the rest served', async () => {
      proxies[0]!.delayMs = 30_000;
      const started = Date.now();
      const response = await graph.query(
        `{ car(id: "${seedCars[0]!.id}") { id } user(id: "${seedUsers[0]!.id}") { username } }`,
      );
      // Well before the slow subgraph could have answered: the gateway did not wait for it.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(response.data).toEqual({ car: null, user: { username: seedUsers[0]!.username } });
      expect(errorCodesByPath(response)).toEqual([[['car'], 'DEADLINE_EXCEEDED']]);
      expect(response.errors![0]!.extensions).toMatchObject({ grpcStatus: 4, serviceName: 'car' });
    });

    it('serves the subgraph normally when it is within its deadline', async () => {
      proxies[0]!.delayMs = 0;
      expect(dataOf(await graph.query(`{ car(id: "${seedCars[0]!.id}") { id } }`))).toEqual({
        car: { id: seedCars[0]!.id },
      });
    });
  });

  describe('CANCELLED (1)', () => {
    let graph: TestGraph;
    const proxies: DelayProxy[] = [];
    const gatewayLog = new LogCapture('gateway');
    beforeAll(async () => {
      graph = await startGraph(backend, {
        seed: true,
        gatewayLog: gatewayLog.log,
        routeThrough: { car: throughDelayProxy(proxies) },
      });
    });
    afterAll(async () => {
      await graph?.stop();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
    });

    it('aborts the in-flight subgraph call when the client disconnects, and logs it as CANCELLED', async () => {
      const proxy = proxies[0]!;
      proxy.delayMs = 4_000;
      const client = new AbortController();
      const token = await graph.login('admin');
      const request = fetch(graph.gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': 'cancel-me-1',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query: '{ cars { totalCount } }' }),
        signal: client.signal,
      });
      await waitFor(() => proxy.pending > 0, 5_000, 'the gateway to call the car subgraph');
      client.abort();
      await expect(request).rejects.toThrow();

      await waitFor(() => proxy.aborted === 1, 15_000, 'the gateway to abort its subgraph call');
      await waitFor(
        () =>
          gatewayLog.entries().some((entry) => entry.code === 'CANCELLED' && entry.clientRequestId === 'cancel-me-1'),
        15_000,
        'the CANCELLED log line',
      );
    });
  });

  describe('a dropped connection', () => {
    let graph: TestGraph;
    const proxies: DelayProxy[] = [];
    beforeAll(async () => {
      graph = await startGraph(backend, { seed: true, routeThrough: { car: throughDelayProxy(proxies) } });
    });
    afterAll(async () => {
      await graph?.stop();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
    });

    it('is retried once for a query, never for a mutation', async () => {
      const proxy = proxies[0]!;
      proxy.dropNext = 1;
      const query = await graph.query(`{ car(id: "${seedCars[1]!.id}") { id } }`);
      expect(query.data).toEqual({ car: { id: seedCars[1]!.id } });
      expect(proxy.dropNext).toBe(0);

      proxy.dropNext = 1;
      const before = proxy.requests;
      const mutation = await graph.query(`mutation { deleteCar(id: "${seedCars[2]!.id}") }`);
      expect(errorCodesByPath(mutation)).toEqual([[['deleteCar'], 'UNAVAILABLE']]);
      expect(proxy.requests).toBe(before);
      expect((await graph.query(`{ car(id: "${seedCars[2]!.id}") { id } }`)).data).toEqual({
        car: { id: seedCars[2]!.id },
      });
    });
  });
});
