import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { type EventStreamReader, openEventStream } from '@car-check/test-support/eventStream';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { managementGet } from '@car-check/test-support/management';
import { waitFor } from '@car-check/test-support/waitFor';

/**
 * Identical subscriptions share one upstream stream through the gateway: two
 * admins' identical subscriptions get the same events while the car subgraph
 * serves one stream for both; a viewer's identical subscription (another
 * authorization scope) never shares theirs; the shared stream ends with its
 * last subscriber.
 */
const SUBSCRIPTION = `subscription Watch($ids: [ID!]) {
  carChanged(filter: { ids: $ids }) { kind cursor car { model costCenter { code } } }
}`;

interface Figures {
  gateway: { live: number; upstreams: number };
  car: number;
}

describe('identical subscriptions through the gateway', () => {
  let graph: TestGraph;
  let admin: string;
  let viewer: string;
  const streams: EventStreamReader[] = [];

  beforeAll(async () => {
    graph = await startGraph(ONE_BACKEND, { seed: true, gatewayEnv: { SUBSCRIPTION_HEARTBEAT_MS: '1000' } });
    admin = await graph.login('admin');
    viewer = await graph.login('viewer');
  }, 300_000);
  afterAll(async () => {
    for (const stream of streams) await stream.close();
    await graph?.stop();
  });

  /** The gateway's live subscriptions and upstream streams, and the car subgraph's streams. */
  const figures = async (): Promise<Figures> => {
    const gateway = (await (await managementGet(graph.gatewayUrl, '/ready')).json()) as {
      subscriptions: Figures['gateway'];
    };
    const car = (await (await managementGet(graph.subgraphs.car.graphqlUrl, '/ready')).json()) as {
      subscriptions: { streams: number };
    };
    return { gateway: gateway.subscriptions, car: car.subscriptions.streams };
  };
  const subscribe = async (token: string, ids: string[]) => {
    const stream = await openEventStream(
      graph.gatewayUrl,
      JSON.stringify({ query: SUBSCRIPTION, variables: { ids } }),
      {
        authorization: `Bearer ${token}`,
      },
    );
    streams.push(stream);
    expect(stream.response.status).toBe(200);
    return stream;
  };

  it('gives two identical subscribers the same events over one upstream stream, and never shares with a viewer', async () => {
    const costCenter = seedCostCenters[0]!;
    const { createCar } = dataOf(
      await graph.query<{ createCar: { id: string } }>(
        'mutation($cc: ID!) { createCar(input: { brand: "Audi", model: "A3", costCenterId: $cc }) { id } }',
        { cc: costCenter.id },
      ),
    );
    const first = await subscribe(admin, [createCar.id]);
    const second = await subscribe(admin, [createCar.id]);
    const third = await subscribe(viewer, [createCar.id]);
    let seen: Figures | undefined;
    await waitFor(
      async () => {
        seen = await figures();
        return seen.gateway.live === 3 && seen.car === 2;
      },
      30_000,
      'three live subscriptions over two upstream streams',
    );
    expect(seen!.gateway.upstreams).toBe(2);

    dataOf(
      await graph.query('mutation($id: ID!) { updateCar(id: $id, input: { model: "A3 Sportback" }) { id } }', {
        id: createCar.id,
      }),
    );
    const [one] = await first.waitForEvents(1);
    const [other] = await second.waitForEvents(1);
    const [forViewer] = await third.waitForEvents(1);
    expect(other!.id).toBe(one!.id);
    expect(forViewer!.id).toBe(one!.id);
    const data = (event: typeof one) => (JSON.parse(event!.data) as { data: unknown }).data;
    expect(data(one)).toEqual(data(other));
    expect(data(one)).toMatchObject({
      carChanged: { kind: 'UPDATED', car: { model: 'A3 Sportback', costCenter: { code: costCenter.code } } },
    });

    // One admin leaves: the shared stream stays for the other; once both left, it ends.
    await first.close();
    await waitFor(async () => (await figures()).gateway.live === 2, 30_000, 'the first subscriber gone');
    expect((await figures()).gateway.upstreams).toBe(2);
    await second.close();
    // The car subgraph (its default settings) learns at once that the gateway left the stream, not at
    // its next heartbeat (15 s): until then it kept the stream and its subscriber for nobody.
    await waitFor(
      async () => {
        seen = await figures();
        return seen.gateway.upstreams === 1 && seen.car === 1;
      },
      10_000,
      "the admins' upstream stream ended with its last subscriber, at the gateway and at the car subgraph",
    );
  }, 120_000);
});
