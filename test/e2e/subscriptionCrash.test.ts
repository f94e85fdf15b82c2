import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import { type EventStreamReader, openEventStream } from '@car-check/test-support/eventStream';
import { type GatewayProcess, startGatewayProcess } from '@car-check/test-support/gatewayProcess';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { type SubgraphProcess, startSubgraphProcess } from '@car-check/test-support/subgraphProcess';
import { waitFor } from '@car-check/test-support/waitFor';

/**
 * At least once across crashes: a client follows 500 changes through a gateway process while
 * the gateway is killed with SIGKILL and started again, and then the car subgraph process the
 * stream comes from is too. The client resumes with Last-Event-ID, as an EventSource does, and
 * ends with every change exactly once per cursor, in order. PostgreSQL: the processes share
 * the graph's databases.
 */
const CARS = 5;
const CHANGES = 500;
const SUBSCRIPTION = `subscription($ids: [ID!]) { carChanged(filter: { ids: $ids }) { kind revision cursor carId } }`;

interface Change {
  kind: string;
  revision: number;
  cursor: string;
  carId: string;
}

describe('subscriptions survive kill -9 of the gateway and of the car subgraph', () => {
  let graph: TestGraph;
  let car: SubgraphProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let stream: EventStreamReader | undefined;
  /** Set when the test ends, however: the client stops following. */
  let testOver = false;

  beforeAll(async () => {
    graph = await startGraph('postgres', { seed: true });
  }, 300_000);
  afterAll(async () => {
    testOver = true;
    await stream?.close();
    await gateway?.stop();
    await car?.stop();
    await graph?.stop();
  }, 120_000);

  it('delivers each of 500 changes exactly once per cursor, in order, across both kills', async () => {
    const token = await graph.login('admin');
    car = await startSubgraphProcess(graph, 'car');
    const carRoute = `${car.url}/graphql`;
    gateway = await startGatewayProcess(graph, { car: carRoute });

    const ids: string[] = [];
    // One more car, changed until the client sees it: then the stream is live (a subscription
    // without a cursor starts from now), and every change after it must arrive.
    for (let index = 0; index <= CARS; index += 1) {
      const created = await graph.query<{ createCar: { id: string } }>(
        'mutation($cc: ID!) { createCar(input: { brand: "Audi", model: "A0", costCenterId: $cc }) { id } }',
        { cc: seedCostCenters[0]!.id },
      );
      ids.push(dataOf(created).createCar.id);
    }

    const warmUp = ids.pop()!;
    let live = false;
    const received: Change[] = [];
    /** What the client saw, for the failure message: each stream's first and last cursor. */
    const streams: { opened: number; first?: string; last?: string; ended?: string }[] = [];
    let lastEventId: string | undefined;
    let opened = 0;
    /** Reads the stream into `received` until it ends (a kill), remembering the last cursor. */
    const follow = async (): Promise<void> => {
      while (!testOver) {
        let reader: EventStreamReader | undefined;
        try {
          reader = await openEventStream(
            gateway!.url,
            JSON.stringify({ query: SUBSCRIPTION, variables: { ids: [...ids, warmUp] } }),
            {
              authorization: `Bearer ${token}`,
              ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
            },
          );
        } catch {
          // The gateway is down or restarting: tried again below.
        }
        if (!reader || reader.response.status !== 200) {
          await reader?.close();
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        stream = reader;
        opened += 1;
        const seenHere: (typeof streams)[number] = { opened: received.length };
        streams.push(seenHere);
        let seen = 0;
        for (;;) {
          while (seen < reader.events.length) {
            const event = reader.events[seen++]!;
            if (event.event !== 'next' || event.id === undefined) continue;
            const payload = JSON.parse(event.data) as { data?: { carChanged: Change } };
            if (payload.data?.carChanged.carId === warmUp) live = true;
            else if (payload.data) received.push(payload.data.carChanged);
            seenHere.first ??= event.id;
            seenHere.last = event.id;
            lastEventId = event.id;
          }
          if (received.length >= CHANGES || testOver) return void (await reader.close());
          if (reader.ended) {
            seenHere.ended = reader.events.at(-1)?.data;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const following = follow().finally(() => (testOver = true));

    // The changes, written through the test graph's own gateway and car subgraph: the writes
    // never wait for the processes being killed. One writer per car, the cars' writers at once:
    // each car's revisions are still made in order, and the stream interleaves the cars.
    const write = async (from: number, to: number) => {
      await Promise.all(
        ids.map(async (id, car) => {
          for (let index = from + ((((car - from) % CARS) + CARS) % CARS); index < to; index += CARS) {
            dataOf(
              await graph.query('mutation($id: ID!, $m: String!) { updateCar(id: $id, input: { model: $m }) { id } }', {
                id,
                m: `A${index + 1}`,
              }),
            );
          }
        }),
      );
    };
    await waitFor(
      async () => {
        if (!live)
          dataOf(
            // A new model each time: an update that changes nothing makes no event.
            await graph.query('mutation($id: ID!, $m: String!) { updateCar(id: $id, input: { model: $m }) { id } }', {
              id: warmUp,
              m: `warm ${Date.now()}`,
            }),
          );
        return live;
      },
      120_000,
      'a change of the warm-up car over the stream',
      // Each check writes a change (and its events): one every 250 ms, not waitFor's 25, while the stream opens.
      250,
    );
    await write(0, 150);
    await waitFor(() => received.length >= 100, 120_000, '100 changes before the gateway is killed');
    await gateway.kill();
    await write(150, 250);
    gateway = await startGatewayProcess(graph, { car: carRoute }, gateway.port);
    await write(250, 350);
    await waitFor(() => received.length >= 300, 120_000, '300 changes before the car subgraph is killed');
    await car.kill();
    await write(350, 420);
    car = await startSubgraphProcess(graph, 'car', {}, Number(new URL(car.url).port));
    await write(420, CHANGES);
    const missing = () =>
      ids.flatMap((id, car) => {
        const revisions = new Set(received.filter((change) => change.carId === id).map((change) => change.revision));
        return Array.from({ length: CHANGES / CARS }, (_, index) => index + 2)
          .filter((revision) => !revisions.has(revision))
          .map((revision) => `car ${car} revision ${revision}`);
      });
    try {
      await waitFor(() => received.length >= CHANGES, 180_000, `${CHANGES} changes`);
    } catch (error) {
      testOver = true;
      throw new Error(
        `${(error as Error).message}: ${received.length} received; missing ${missing().join(', ')}; streams ${JSON.stringify(streams)}`,
      );
    }
    await following;

    // Resumed at least once (after the gateway's kill).
    expect(opened).toBeGreaterThanOrEqual(2);
    const cursors = received.map((change) => change.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(received).toHaveLength(CHANGES);
    for (const id of ids) {
      const revisions = received.filter((change) => change.carId === id).map((change) => change.revision);
      // Created at revision 1; each update one more, all of them, each once, in order.
      expect(revisions).toEqual(Array.from({ length: CHANGES / CARS }, (_, index) => index + 2));
    }
    expect(received.every((change) => change.kind === 'UPDATED')).toBe(true);
  }, 600_000);
});
