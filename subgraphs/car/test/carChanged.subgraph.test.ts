import { ANONYMOUS } from '@car-check/service-kit';
import { decodeStreamCursor, encodeStreamCursor } from '@car-check/subgraph-kit';
import { seedCars, seedCostCenters } from '@car-check/subgraph-kit/demo';
import { ONE_BACKEND } from '@car-check/test-support/config';
import type { EventStreamReader } from '@car-check/test-support/eventStream';
import { dataOf, postGraphQL } from '@car-check/test-support/graphql';
import { managementGet } from '@car-check/test-support/management';
import { signedPost } from '@car-check/test-support/signing';
import { waitFor } from '@car-check/test-support/waitFor';
import { ADMIN, startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { PrismaClient } from '../src/prisma';

interface CarChangeData {
  kind: 'CREATED' | 'UPDATED' | 'DELETED';
  revision: number;
  changedFields: string[];
  cursor: string;
  carId: string;
  car: { id: string; model: string; costCenter: { id: string } | null } | null;
}

const CHANGE_FIELDS = 'kind revision changedFields cursor carId car { id model costCenter { id } }';
const CAR_CHANGED = `subscription($after: String, $filter: CarChangeFilter) {
  carChanged(after: $after, filter: $filter) { ${CHANGE_FIELDS} }
}`;

/** The changes a stream delivered, in order (its `next` events' data). */
const changesOf = (stream: Pick<EventStreamReader, 'payloads'>): CarChangeData[] =>
  stream.payloads.map((payload) => (payload.data as { carChanged: CarChangeData }).carChanged);

/** The code of the error a stream ended with (its last `next` event), and the extensions. */
const endingError = (stream: EventStreamReader) => stream.payloads.at(-1)?.errors?.[0];

describe('carChanged: the car subgraph streams its outbox, resumable (text/event-stream)', () => {
  let car: SubgraphUnderTest;
  let prisma: PrismaClient;
  const streams: EventStreamReader[] = [];
  const [centerA, centerB] = seedCostCenters as [(typeof seedCostCenters)[0], (typeof seedCostCenters)[0]];

  const subscribe = async (variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const stream = await car.subscribe(CAR_CHANGED, variables, { headers });
    streams.push(stream);
    return stream;
  };
  /** A cursor at the subgraph's newest change: streams opened from it see every later change. */
  const cursorNow = async () => {
    const [row] = await prisma.$queryRaw<{ newest: bigint }[]>`SELECT MAX(sequence) AS newest FROM audit_event`;
    return encodeStreamCursor('car', BigInt(row!.newest));
  };
  const createCar = async (model: string, costCenterId = centerA.id) =>
    dataOf(
      await car.query<{ createCar: { id: string } }>(
        'mutation($input: CreateCarInput!) { createCar(input: $input) { id } }',
        { input: { brand: 'Renault', model, costCenterId } },
      ),
    ).createCar.id;
  const updateCar = async (id: string, input: Record<string, unknown>) =>
    dataOf(
      await car.query('mutation($id: ID!, $input: UpdateCarInput!) { updateCar(id: $id, input: $input) { id } }', {
        id,
        input,
      }),
    );

  beforeAll(async () => {
    car = await startSubgraphUnderTest('car', ONE_BACKEND, {
      seed: true,
      env: { SUBSCRIPTION_HEARTBEAT_MS: '300', SUBSCRIPTION_BUFFER_SIZE: '20', SUBSCRIPTION_POLL_MS: '100' },
    });
    prisma = car.subgraph.prisma as PrismaClient;
    for (const center of seedCostCenters) car.peers['cost-center']!.set('CostCenter', center.id);
    // Migrating and seeding a new database takes long on a loaded machine.
  }, 120_000);
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((stream) => stream.close()));
  });
  afterAll(async () => {
    await car?.stop();
  });

  it('resumes from a cursor with every change after it, in order, once, while writes go on', async () => {
    const start = await cursorNow();
    const all = await subscribe({ after: start });
    expect(all.response.status).toBe(200);
    expect(all.response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    // 10 creations, then 3 updates of each: 40 changes, written one after the other.
    const writes = (async () => {
      const ids: string[] = [];
      for (let i = 0; i < 10; i += 1) ids.push(await createCar(`Zoe ${i}`));
      for (let round = 1; round <= 3; round += 1) {
        for (const id of ids) await updateCar(id, { model: `Zoe r${round}` });
      }
    })();
    // Two late subscribers join mid-way, from the 10th and the 20th change; the second names
    // its cursor in Last-Event-ID, which wins over `after` (as the gateway reconnects).
    await all.waitForEvents(10, 60_000);
    const tenth = changesOf(all)[9]!.cursor;
    const fromTenth = await subscribe({ after: tenth });
    await all.waitForEvents(20, 60_000);
    const twentieth = changesOf(all)[19]!.cursor;
    const fromTwentieth = await subscribe({ after: start }, { 'last-event-id': twentieth });
    await writes;

    await all.waitForEvents(40, 60_000);
    await fromTenth.waitForEvents(30, 60_000);
    await fromTwentieth.waitForEvents(20, 60_000);

    // What the outbox holds after the start, in commit order: the truth the streams must match.
    const committed = await prisma.$queryRaw<{ sequence: bigint; entityId: string; action: string }[]>`
      SELECT sequence, entity_id AS "entityId", action FROM audit_event
      WHERE sequence > ${decodeStreamCursor('car', start).toString()}::bigint AND entity = 'Car'
      ORDER BY sequence`;
    expect(committed).toHaveLength(40);
    const delivered = changesOf(all);
    expect(delivered.map((change) => decodeStreamCursor('car', change.cursor))).toEqual(
      committed.map((row) => BigInt(row.sequence)),
    );
    expect(delivered.map((change) => [change.carId, change.kind])).toEqual(
      committed.map((row) => [row.entityId, row.action === 'CREATE' ? 'CREATED' : 'UPDATED']),
    );
    // Each event's SSE id is its cursor; the car is its current state.
    expect(all.events.filter((event) => event.event === 'next').map((event) => event.id)).toEqual(
      delivered.map((change) => change.cursor),
    );
    expect(delivered[0]).toMatchObject({
      kind: 'CREATED',
      revision: 1,
      changedFields: expect.arrayContaining(['brand', 'model', 'costCenterId']),
      car: { id: delivered[0]!.carId, costCenter: { id: centerA.id } },
    });
    expect(delivered[39]).toMatchObject({ kind: 'UPDATED', revision: 4, changedFields: ['model'] });

    // The late ones got the same changes, each once (the car as it was when each was delivered aside).
    const withoutCar = (changes: CarChangeData[]) => changes.map(({ car: _car, ...change }) => change);
    expect(withoutCar(changesOf(fromTenth))).toEqual(withoutCar(delivered.slice(10)));
    expect(withoutCar(changesOf(fromTwentieth))).toEqual(withoutCar(delivered.slice(20)));

    // Replayed now, every change shows its car as it is now, not as of the change.
    const replay = await subscribe({ after: start });
    const replayed = changesOf({ payloads: (await replay.waitForEvents(40)).map((event) => JSON.parse(event.data)) });
    expect(new Set(replayed.map((change) => change.car?.model))).toEqual(new Set(['Zoe r3']));
    // 40 writes and four streams on a shared machine.
  }, 180_000);

  it('refuses a cursor it did not give out or a bad filter (INVALID_ARGUMENT), and a cursor out of the retained history (OUT_OF_RANGE)', async () => {
    const refusal = async (after: string) => {
      const stream = await subscribe({ after });
      await stream.waitForEnd();
      expect(stream.response.status).toBe(200);
      expect(stream.events.map((event) => event.event)).toEqual(['next', 'complete']);
      return endingError(stream)?.extensions?.code;
    };
    expect(await refusal('not a cursor!')).toBe('INVALID_ARGUMENT');
    const badFilter = await subscribe({ filter: { ids: ['not-an-id'] } });
    await badFilter.waitForEnd();
    expect(endingError(badFilter)?.extensions).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'filter.ids.0' });
    expect(await refusal(encodeStreamCursor('cost-center', 1n))).toBe('INVALID_ARGUMENT');
    const now = decodeStreamCursor('car', await cursorNow());
    expect(await refusal(encodeStreamCursor('car', now + 1_000n))).toBe('OUT_OF_RANGE');

    // The first change after the cursor is older than the replay window (24 h by default).
    const before = await cursorNow();
    const id = await createCar('Old Zoe');
    await prisma.$executeRaw`UPDATE audit_event SET at = now() - interval '25 hours' WHERE entity_id = ${id}::uuid`;
    try {
      expect(await refusal(before)).toBe('OUT_OF_RANGE');
      // From the old change itself, only newer ones are replayed: fine.
      const after = await cursorNow();
      expect(await subscribe({ after }).then((stream) => stream.ended)).toBe(false);
    } finally {
      await prisma.$executeRaw`UPDATE audit_event SET at = now() WHERE entity_id = ${id}::uuid`;
    }
  });

  it('is refused like a query without a valid gateway signature, or without car:read', async () => {
    const body = JSON.stringify({ query: CAR_CHANGED });
    const unsignedStream = await fetch(car.subgraph.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body,
    });
    const unsignedQuery = await postGraphQL(car.subgraph.graphqlUrl, { query: '{ cars { totalCount } }' });
    expect(unsignedStream.status).toBe(401);
    expect(unsignedQuery.status).toBe(401);
    const refused = (await unsignedStream.json()) as { errors: { extensions: { code: string } }[] };
    expect(refused.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(unsignedQuery.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');

    const stranger = await car.subscribe(CAR_CHANGED, {}, { caller: { ...ANONYMOUS, userId: ADMIN.userId } });
    streams.push(stranger);
    await stranger.waitForEnd();
    expect(endingError(stranger)?.extensions?.code).toBe('PERMISSION_DENIED');

    // Sent as an ordinary JSON request, a subscription is a clear 422, as before there were any.
    const plain = await car.query(CAR_CHANGED);
    expect(plain.status).toBe(422);
    expect(plain.errors![0]!.extensions!.code).toBe('INVALID_ARGUMENT');

    // A query from a client that takes a stream or JSON is answered as JSON, as usual.
    const queryBody = JSON.stringify({ query: '{ cars(first: 1) { totalCount } }' });
    const signature = await signedPost(ADMIN, car.subgraph.graphqlUrl, queryBody, { audience: 'car' });
    const query = await postGraphQL<{ cars: { totalCount: number } }>(car.subgraph.graphqlUrl, queryBody, {
      ...signature,
      accept: 'text/event-stream, application/json',
    });
    expect(query.status).toBe(200);
    expect(query.data?.cars.totalCount).toBeGreaterThan(0);
  });

  it('delivers only the changes its filter asks for', async () => {
    const after = await cursorNow();
    // A car of another cost center: only the filter by id wants it.
    const watched = seedCars.find((seeded) => seeded.costCenterId !== centerA.id)!.id;
    const byCenter = await subscribe({ after, filter: { costCenterIds: [centerA.id] } });
    const byId = await subscribe({ after, filter: { ids: [watched] } });
    const inA = await createCar('In A', centerA.id);
    const inB = await createCar('In B', centerB.id);
    await updateCar(inB, { model: 'Still in B' });
    await updateCar(inB, { costCenterId: centerA.id });
    await updateCar(inA, { model: 'Moved nowhere' });
    await updateCar(watched, { model: 'Watched' });
    const last = await cursorNow();
    // A stream without filter from the same cursor tells when everything was read.
    const everything = await subscribe({ after });
    await everything.waitForEvents(6);
    expect(changesOf(everything).at(-1)!.cursor).toBe(last);

    await byCenter.waitForEvents(3);
    expect(changesOf(byCenter).map((change) => [change.carId, change.kind, change.changedFields])).toEqual([
      [inA, 'CREATED', expect.any(Array)],
      [inB, 'UPDATED', ['costCenterId']],
      [inA, 'UPDATED', ['model']],
    ]);
    await byId.waitForEvents(1);
    expect(changesOf(byId).map((change) => [change.carId, change.car?.model])).toEqual([[watched, 'Watched']]);
    // Nothing else came meanwhile.
    expect(byCenter.events.filter((event) => event.event === 'next')).toHaveLength(3);
    expect(byId.events.filter((event) => event.event === 'next')).toHaveLength(1);
  });

  it('ends a subscriber that falls too far behind with RESOURCE_EXHAUSTED and the cursor to resume from', async () => {
    const stream = await subscribe({ after: await cursorNow() });
    const id = await createCar('Burst');
    const [created] = await stream.waitForEvents(1);
    const delivered = JSON.parse(created!.data).data.carChanged.cursor as string;
    // 30 changes committed at once (as by another instance): one read of the outbox hands
    // them all to the subscriber, past its buffer of 20.
    await prisma.$executeRaw`
      INSERT INTO audit_event (id, entity, entity_id, action, actor_id, request_id, changes, revision)
      SELECT gen_random_uuid(), 'Car', ${id}::uuid, 'UPDATE', 'service:test', 'burst',
             '[{"field":"model","from":"\\"Burst\\"","to":"\\"Burst\\""}]'::jsonb, 1 + n
      FROM generate_series(1, 30) AS n`;
    await stream.waitForEnd();
    expect(stream.events.map((event) => event.event)).toEqual(['next', 'next', 'complete']);
    expect(endingError(stream)?.extensions).toMatchObject({ code: 'RESOURCE_EXHAUSTED', cursor: delivered });

    // The client resumes from that cursor and gets all 30, nothing lost.
    const resumed = await subscribe({ after: delivered });
    const replayed = await resumed.waitForEvents(30);
    expect(replayed.map((event) => JSON.parse(event.data).data.carChanged.revision)).toEqual(
      Array.from({ length: 30 }, (_, n) => n + 2),
    );
  });

  it('sends heartbeat comments while idle, and forgets a subscriber that hangs up', async () => {
    const streamsOpen = async () => {
      const ready = await managementGet(car.subgraph.url, '/ready');
      return ((await ready.json()) as { subscriptions: { streams: number } }).subscriptions.streams;
    };
    await waitFor(async () => (await streamsOpen()) === 0, 30_000, 'no stream left from the other tests');
    const stream = await subscribe({ after: await cursorNow() });
    await waitFor(() => stream.comments >= 2, 30_000, 'two heartbeats');
    expect(stream.ended).toBe(false);
    expect(await streamsOpen()).toBe(1);
    await stream.close();
    await waitFor(async () => (await streamsOpen()) === 0, 30_000, 'the stream to be released');
  });
});

describe('carChanged on the embedded database (PGlite), through a graceful shutdown', () => {
  it('streams a deletion, then ends the stream with complete after the last cursor when the subgraph stops', async () => {
    const car = await startSubgraphUnderTest('car', 'pglite', { seed: true });
    let stream: EventStreamReader | undefined;
    let stopped = false;
    try {
      for (const center of seedCostCenters) car.peers['cost-center']!.set('CostCenter', center.id);
      const doomed = seedCars[1]!.id;
      // Opened from a cursor, so that no change can come before the stream is registered.
      const prisma = car.subgraph.prisma as PrismaClient;
      const [row] = await prisma.$queryRaw<{ newest: bigint }[]>`SELECT MAX(sequence) AS newest FROM audit_event`;
      stream = await car.subscribe(CAR_CHANGED, { after: encodeStreamCursor('car', BigInt(row!.newest)) });
      dataOf(await car.query('mutation($id: ID!) { deleteCar(id: $id) }', { id: doomed }));
      const [deleted] = await stream.waitForEvents(1);
      expect(JSON.parse(deleted!.data).data.carChanged).toMatchObject({ kind: 'DELETED', carId: doomed, car: null });
      expect(deleted!.id).toBe(JSON.parse(deleted!.data).data.carChanged.cursor);

      // The subgraph, then its peers and database: the stream ends first, as in a SIGTERM.
      stopped = true;
      await car.stop();
      await stream.waitForEnd();
      expect(stream.events.map((event) => event.event)).toEqual(['next', 'complete']);
    } finally {
      await stream?.close();
      if (!stopped) await car.stop();
    }
    // It creates, migrates and seeds an embedded database, then stops it.
  }, 180_000);
});
