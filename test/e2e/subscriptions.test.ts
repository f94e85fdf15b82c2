import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { type EventStreamReader, openEventStream } from '@car-check/test-support/eventStream';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { managementGet } from '@car-check/test-support/management';
import { sha256Hex } from '@car-check/test-support/sha256';
import { waitFor } from '@car-check/test-support/waitFor';
import { compose, readSupergraphConfig, REPO_ROOT } from '../../scripts/lib/compose';

/**
 * Subscriptions through the gateway over real HTTP and WebSocket, with the
 * real clients: Apollo Client 4 (multipart), graphql-sse and graphql-ws each
 * receive a change made by a mutation through the gateway, with entity fields
 * from three subgraphs (car, cost-center, user); a client that resumes with
 * Last-Event-ID gets the events it missed; a revoked token ends the stream
 * with UNAUTHENTICATED; SUBSCRIPTIONS_PER_CALLER refuses one too many.
 */
const PER_CALLER = 6;
const SUBSCRIPTION = `subscription Watch($ids: [ID!]) {
  carChanged(filter: { ids: $ids }) { kind cursor car { model costCenter { code manager { username } } } }
}`;

interface Change {
  carChanged: {
    kind: string;
    cursor: string;
    car: { model: string; costCenter: { code: string; manager: { username: string } | null } | null } | null;
  };
}

describe('subscriptions through the gateway', () => {
  let graph: TestGraph;
  let token: string;
  let costCenter: { id: string; code: string };
  const closers: (() => unknown)[] = [];
  let dir: string;
  let supergraphPath: string;
  let stopped = false;

  beforeAll(async () => {
    // A supergraph of its own, reloaded by one test.
    dir = await mkdtemp(path.join(os.tmpdir(), 'supergraph-'));
    supergraphPath = path.join(dir, 'supergraph.graphql');
    await copyFile(path.join(REPO_ROOT, 'supergraph.graphql'), supergraphPath);
    graph = await startGraph(ONE_BACKEND, {
      seed: true,
      gatewayEnv: {
        SUBSCRIPTIONS_PER_CALLER: String(PER_CALLER),
        SUBSCRIPTION_HEARTBEAT_MS: '1000',
        SUPERGRAPH_PATH: supergraphPath,
        SUPERGRAPH_POLL_MS: '100',
      },
    });
    token = await graph.login('admin');
    costCenter = seedCostCenters[0]!;
  }, 300_000);
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    // The last test stops the graph itself (a graceful shutdown).
    if (!stopped) await graph?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const createCar = async (model: string): Promise<string> =>
    dataOf(
      await graph.query<{ createCar: { id: string } }>(
        'mutation($cc: ID!, $model: String!) { createCar(input: { brand: "Audi", model: $model, costCenterId: $cc }) { id } }',
        { cc: costCenter.id, model },
      ),
    ).createCar.id;
  const updateCar = async (id: string, model: string) =>
    dataOf(
      await graph.query('mutation($id: ID!, $model: String!) { updateCar(id: $id, input: { model: $model }) { id } }', {
        id,
        model,
      }),
    );

  /** A graphql-sse POST opened by hand, to see its ids and send Last-Event-ID. */
  const openSse = async (variables: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const stream = await openEventStream(graph.gatewayUrl, JSON.stringify({ query: SUBSCRIPTION, variables }), {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    closers.push(() => stream.close());
    return stream;
  };
  /** Subscribed once the gateway's first heartbeat has come: the subgraph's stream is open by then. */
  const heartbeat = (stream: EventStreamReader) =>
    waitFor(() => stream.comments > 0, 30_000, 'a heartbeat of the subscription stream');

  it('graphql-sse: a change with fields of three subgraphs, its cursor as id and extensions.cursor', async () => {
    const id = await createCar('E-Tron');
    const stream = await openSse({ ids: [id] });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    await heartbeat(stream);
    const ready = (await (await managementGet(graph.gatewayUrl, '/ready')).json()) as {
      subscriptions: { live: number };
    };
    expect(ready.subscriptions.live).toBeGreaterThanOrEqual(1);
    await updateCar(id, 'E-Tron GT');
    const [event] = await stream.waitForEvents(1);
    const payload = JSON.parse(event!.data) as { data: Change; extensions: { cursor: string } };
    expect(payload.data.carChanged).toMatchObject({
      kind: 'UPDATED',
      car: { model: 'E-Tron GT', costCenter: { code: costCenter.code, manager: { username: expect.any(String) } } },
    });
    expect(event!.id).toBe(payload.data.carChanged.cursor);
    expect(payload.extensions.cursor).toBe(event!.id);
  });

  it('graphql-sse client (distinct connections) receives the change', async () => {
    const id = await createCar('Q2');
    const client = createSseClient({ url: graph.gatewayUrl, headers: { authorization: `Bearer ${token}` } });
    closers.push(() => client.dispose());
    const received: Change[] = [];
    const iterator = client.iterate<Change>({ query: SUBSCRIPTION, variables: { ids: [id] } });
    closers.push(() => iterator.return?.());
    const reading = (async () => {
      for await (const result of iterator) {
        received.push(result.data!);
        if (received.length === 1) return;
      }
    })();
    // The client opens its stream in the background: change the car until the change arrives.
    await waitFor(
      async () => {
        if (received.length === 0) await updateCar(id, `Q2 ${Date.now()}`);
        return received.length > 0;
      },
      60_000,
      'a change through the graphql-sse client',
    );
    await reading;
    expect(received[0]!.carChanged.car?.costCenter?.manager?.username).toEqual(expect.any(String));
  });

  it('graphql-ws client receives the change, with its cursor in extensions', async () => {
    const id = await createCar('Q3');
    const client = createWsClient({
      url: graph.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    closers.push(() => client.dispose());
    const received: { data?: Change | null; extensions?: Record<string, unknown> }[] = [];
    const iterator = client.iterate<Change, { cursor: string }>({ query: SUBSCRIPTION, variables: { ids: [id] } });
    closers.push(() => iterator.return?.());
    const reading = (async () => {
      for await (const result of iterator) {
        received.push(result);
        if (received.length === 1) return;
      }
    })();
    await waitFor(
      async () => {
        if (received.length === 0) await updateCar(id, `Q3 ${Date.now()}`);
        return received.length > 0;
      },
      60_000,
      'a change through the graphql-ws client',
    );
    await reading;
    expect(received[0]!.data!.carChanged.car?.costCenter?.code).toBe(costCenter.code);
    expect(received[0]!.extensions?.cursor).toBe(received[0]!.data!.carChanged.cursor);
  });

  it("costCenterChanged over graphql-ws: the cost center's manager (user) and cars (car) per event", async () => {
    const client = createWsClient({
      url: graph.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    closers.push(() => client.dispose());
    type CostCenterChange = {
      costCenterChanged: {
        kind: string;
        costCenter: { societyName: string; manager: { username: string } | null; cars: { totalCount: number } };
      };
    };
    const received: CostCenterChange[] = [];
    const iterator = client.iterate<CostCenterChange>({
      query: `subscription($ids: [ID!]) { costCenterChanged(filter: { ids: $ids }) {
        kind costCenter { societyName manager { username } cars { totalCount } } } }`,
      variables: { ids: [costCenter.id] },
    });
    closers.push(() => iterator.return?.());
    const reading = (async () => {
      for await (const result of iterator) {
        if (result.data) received.push(result.data);
        if (received.length === 1) return;
      }
    })();
    let name = '';
    await waitFor(
      async () => {
        if (received.length === 0) {
          name = `Society ${Date.now()}`;
          dataOf(
            await graph.query(
              'mutation($id: ID!, $name: String!) { updateCostCenter(id: $id, input: { societyName: $name }) { id } }',
              {
                id: costCenter.id,
                name,
              },
            ),
          );
        }
        return received.length > 0;
      },
      60_000,
      'a cost-center change through the graphql-ws client',
    );
    await reading;
    expect(received[0]!.costCenterChanged).toMatchObject({
      kind: 'UPDATED',
      costCenter: { manager: { username: expect.any(String) }, cars: { totalCount: expect.any(Number) } },
    });
  });

  it("Apollo Client 4's HttpLink receives each change over multipart as it is committed, not with a heartbeat", async () => {
    const id = await createCar('Q5');
    // A gateway whose heartbeats come too seldom to deliver anything within the test: a multipart part is
    // whole for the client only once the delimiter after it arrives, which must not wait for the next part.
    const gatewayUrl = await graph.startGateway({}, { SUBSCRIPTION_HEARTBEAT_MS: '600000' });
    const client = new ApolloClient({
      link: new HttpLink({ uri: gatewayUrl, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache(),
    });
    closers.push(() => client.stop());
    const received: Change[] = [];
    const errors: unknown[] = [];
    const subscription = client.subscribe<Change>({ query: gql(SUBSCRIPTION), variables: { ids: [id] } }).subscribe({
      next: (result) => {
        if (result.data) received.push(result.data);
        if (result.error) errors.push(result.error);
      },
      error: (error: unknown) => errors.push(error),
    });
    closers.push(() => subscription.unsubscribe());
    await waitFor(
      async () => {
        if (received.length === 0 && errors.length === 0) await updateCar(id, `Q5 ${Date.now()}`);
        return received.length > 0 || errors.length > 0;
      },
      60_000,
      'a change through Apollo Client',
    );
    expect(errors).toEqual([]);
    expect(received[0]!.carChanged).toMatchObject({
      kind: 'UPDATED',
      car: { costCenter: { code: costCenter.code, manager: { username: expect.any(String) } } },
    });
    // The stream is open: one more change, and nothing after it that could close its part.
    const last = `Q5 last ${Date.now()}`;
    await updateCar(id, last);
    await waitFor(
      () => received.some((change) => change.carChanged.car?.model === last),
      60_000,
      'the last change through Apollo Client, with no part after it',
    );
  });

  it('resumes with Last-Event-ID: the events missed while away, in order, then live ones', async () => {
    const id = await createCar('A1');
    const revisions = (events: { data: string }[]) =>
      events.map(
        (event) => (JSON.parse(event.data) as { data: { carChanged: { revision: number } } }).data.carChanged.revision,
      );
    const query = 'subscription($ids: [ID!]) { carChanged(filter: { ids: $ids }) { revision cursor car { model } } }';
    const open = async (headers: Record<string, string> = {}) => {
      const stream = await openEventStream(graph.gatewayUrl, JSON.stringify({ query, variables: { ids: [id] } }), {
        authorization: `Bearer ${token}`,
        ...headers,
      });
      closers.push(() => stream.close());
      return stream;
    };
    const first = await open();
    await heartbeat(first);
    await updateCar(id, 'A1 one');
    const [seen] = await first.waitForEvents(1);
    await first.close();
    // Away: two changes.
    await updateCar(id, 'A1 two');
    await updateCar(id, 'A1 three');
    const resumed = await open({ 'last-event-id': seen!.id! });
    const missed = await resumed.waitForEvents(2);
    const [before] = revisions([seen!]);
    // `car` is the car as it is now; the revisions and cursors say which change each event is.
    expect(revisions(missed)).toEqual([before! + 1, before! + 2]);
    expect(new Set([seen!.id, ...missed.map((event) => event.id)]).size).toBe(3);
    await updateCar(id, 'A1 four');
    const events = await resumed.waitForEvents(3);
    expect(revisions(events)).toEqual([before! + 1, before! + 2, before! + 3]);
    expect((JSON.parse(events[2]!.data) as { data: Change }).data.carChanged.car?.model).toBe('A1 four');
  });

  it('keeps the client stream across a restart of the car subgraph, with no change lost', async () => {
    const id = await createCar('R1');
    const query = 'subscription($ids: [ID!]) { carChanged(filter: { ids: $ids }) { revision cursor } }';
    const stream = await openEventStream(graph.gatewayUrl, JSON.stringify({ query, variables: { ids: [id] } }), {
      authorization: `Bearer ${token}`,
    });
    closers.push(() => stream.close());
    await heartbeat(stream);
    await updateCar(id, 'R1 one');
    await stream.waitForEvents(1);
    await graph.stopSubgraph('car');
    await graph.restartSubgraph('car');
    // Committed while the gateway may still be reconnecting: it reopens after the last cursor it delivered.
    await updateCar(id, 'R1 two');
    await updateCar(id, 'R1 three');
    const events = await stream.waitForEvents(3, 60_000);
    const revisions = events.map(
      (event) => (JSON.parse(event.data) as { data: { carChanged: { revision: number } } }).data.carChanged.revision,
    );
    expect(revisions).toEqual([revisions[0], revisions[0]! + 1, revisions[0]! + 2]);
    expect(stream.ended).toBe(false);
  });

  it('keeps the stream across a supergraph reload: the next change runs the new plan', async () => {
    const id = await createCar('H1');
    const query =
      'subscription($ids: [ID!]) { carChanged(filter: { ids: $ids }) { revision car { model costCenter { code } } } }';
    const stream = await openEventStream(graph.gatewayUrl, JSON.stringify({ query, variables: { ids: [id] } }), {
      authorization: `Bearer ${token}`,
    });
    closers.push(() => stream.close());
    await heartbeat(stream);
    await updateCar(id, 'H1 one');
    await stream.waitForEvents(1);
    // The car team ships a supergraph without Car.version (as hotReload.test.ts does).
    const sources = await readSupergraphConfig();
    const car = sources.find((source) => source.name === 'car')!;
    car.sdl = car.sdl.replace(/\n {2}"The car model's version[^\n]*\n {2}version: String\n/, '\n');
    const outcome = compose(sources);
    if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
    await writeFile(`${supergraphPath}.next`, outcome.supergraphSdl);
    await rename(`${supergraphPath}.next`, supergraphPath);
    await waitFor(
      async () => {
        const ready = (await (await managementGet(graph.gatewayUrl, '/ready')).json()) as {
          supergraph: { hash: string };
        };
        return ready.supergraph.hash === sha256Hex(outcome.supergraphSdl);
      },
      60_000,
      'the gateway serving the new supergraph',
    );
    await updateCar(id, 'H1 two');
    const [first, second] = await stream.waitForEvents(2);
    const change = (event: { data: string }) =>
      (
        JSON.parse(event.data) as {
          data: { carChanged: { revision: number; car: { model: string; costCenter: { code: string } } } };
        }
      ).data.carChanged;
    expect(change(second!)).toMatchObject({
      revision: change(first!).revision + 1,
      car: { model: 'H1 two', costCenter: { code: costCenter.code } },
    });
    expect(stream.ended).toBe(false);
  });

  it('ends the stream with UNAUTHENTICATED within 5 s of the token being revoked', async () => {
    const ownToken = await graph.login('admin');
    const stream = await openEventStream(graph.gatewayUrl, JSON.stringify({ query: SUBSCRIPTION }), {
      authorization: `Bearer ${ownToken}`,
    });
    closers.push(() => stream.close());
    await heartbeat(stream);
    const revoked = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ownToken}` },
      body: JSON.stringify({ query: 'mutation { logout }' }),
    });
    expect(revoked.status).toBe(200);
    const at = Date.now();
    await stream.waitForEnd(30_000);
    // The bound is 5 s; the machine is shared, so allow for a slow turn.
    expect(Date.now() - at).toBeLessThan(8_000);
    const last = stream.payloads.at(-1);
    expect(last?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a subscription that asks for no stream, and a query that accepts only one', async () => {
    const plain = await graph.query(SUBSCRIPTION);
    expect(plain.errors?.[0]?.extensions).toMatchObject({ code: 'UNIMPLEMENTED' });
    const query = await fetch(graph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { username } }' }),
    });
    expect(query.status).toBe(406);
  });

  it('refuses a subscription past SUBSCRIPTIONS_PER_CALLER with 429 RESOURCE_EXHAUSTED', async () => {
    const live = async () =>
      ((await (await managementGet(graph.gatewayUrl, '/ready')).json()) as { subscriptions: { live: number } })
        .subscriptions.live;
    const before = await live();
    const controllers: AbortController[] = [];
    const statuses: number[] = [];
    let refusal: { errors: { extensions: { code: string } }[] } | undefined;
    // Opened until one is refused: the streams of earlier tests may take a moment to be released.
    for (let i = 0; i <= PER_CALLER && !refusal; i += 1) {
      const controller = new AbortController();
      controllers.push(controller);
      const response = await fetch(graph.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: SUBSCRIPTION }),
        signal: controller.signal,
      });
      statuses.push(response.status);
      if (response.status === 429) refusal = (await response.json()) as typeof refusal;
    }
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(PER_CALLER);
    expect(refusal?.errors[0]!.extensions.code).toBe('RESOURCE_EXHAUSTED');
    // Clients that hang up free their slots.
    for (const controller of controllers) controller.abort();
    await waitFor(async () => (await live()) <= before, 30_000, 'the subscriptions released');
  });

  it('refuses a subscription past SUBSCRIPTIONS_PER_PROCESS with 429 RESOURCE_EXHAUSTED, whoever asks', async () => {
    // A gateway of its own with room for two subscriptions in all.
    const gateway = await graph.startGateway({}, { SUBSCRIPTIONS_PER_PROCESS: '2' });
    const viewer = await graph.login('viewer');
    const open = async (bearer: string) => {
      const controller = new AbortController();
      closers.push(() => controller.abort());
      const response = await fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query: SUBSCRIPTION }),
        signal: controller.signal,
      });
      return { response, close: () => controller.abort() };
    };
    const first = await open(token);
    const second = await open(viewer);
    expect([first.response.status, second.response.status]).toEqual([200, 200]);
    // Another caller, under its own per-caller limit: the process is full.
    const third = await open(viewer);
    expect(third.response.status).toBe(429);
    const refusal = (await third.response.json()) as { errors: { extensions: { code: string } }[] };
    expect(refusal.errors[0]!.extensions.code).toBe('RESOURCE_EXHAUSTED');
    // A client that hangs up frees its place.
    first.close();
    await waitFor(
      async () => {
        const again = await open(token);
        if (again.response.status === 200) return true;
        again.close();
        return false;
      },
      30_000,
      'a place freed by a client that hung up',
    );
  });

  // Last: it stops the graph.
  it('a graceful shutdown ends each stream with UNAVAILABLE and the cursor to resume from', async () => {
    const id = await createCar('S1');
    const query = 'subscription($ids: [ID!]) { carChanged(filter: { ids: $ids }) { cursor } }';
    const stream = await openEventStream(graph.gatewayUrl, JSON.stringify({ query, variables: { ids: [id] } }), {
      authorization: `Bearer ${token}`,
    });
    closers.push(() => stream.close());
    expect(stream.response.status).toBe(200);
    const ws = createWsClient({
      url: graph.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    closers.push(() => ws.dispose());
    const overWs: { errors?: readonly { extensions?: Record<string, unknown> }[]; data?: unknown }[] = [];
    let wsDone = false;
    ws.subscribe(
      { query, variables: { ids: [id] } },
      {
        next: (result) => void overWs.push(result),
        error: () => (wsDone = true),
        complete: () => (wsDone = true),
      },
    );
    await heartbeat(stream);
    await waitFor(
      async () => {
        if (overWs.length === 0) await updateCar(id, `S1 ${Date.now()}`);
        return overWs.length > 0 && stream.events.length > 0;
      },
      60_000,
      'a change over SSE and WebSocket',
    );
    stopped = true;
    await graph.stop();
    await stream.waitForEnd();
    expect(stream.events.at(-1)).toMatchObject({ event: 'complete' });
    // The cursor to resume from is that of the last change the client received, whichever
    // that was: an update sent by the loop above may still arrive before the stop.
    const changes = stream.events.filter((event) => event.event === 'next' && event.id !== undefined);
    expect(changes.length).toBeGreaterThan(0);
    const delivered = changes.at(-1)!.id;
    expect(stream.payloads.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', cursor: delivered });
    await waitFor(() => wsDone, 30_000, 'the end of the WebSocket subscription');
    expect(overWs.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', cursor: expect.any(String) });
  });
});
