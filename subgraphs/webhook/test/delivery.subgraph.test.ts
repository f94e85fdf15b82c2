import { randomUUID } from 'node:crypto';
import { eventDefinitionOf } from '@car-check/events';
import { BACKENDS } from '@car-check/test-support/config';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { waitFor } from '@car-check/test-support/waitFor';
import { WebhookReceiver } from '@car-check/test-support/webhookReceiver';
import { storeEvent } from '../src/delivery/ingest';
import type { PrismaClient } from '../src/prisma';
import { liveThrough, startWebhookUnderTest, type WebhookUnderTest } from './webhookHarness';

const HOUR = 3_600_000;

describe.each(BACKENDS)('webhook delivery (%s)', (backend) => {
  let service: WebhookUnderTest;
  const receivers: WebhookReceiver[] = [];

  async function receiver(): Promise<{ receiver: WebhookReceiver; url: string }> {
    const created = new WebhookReceiver();
    receivers.push(created);
    return { receiver: created, url: await created.start() };
  }

  async function endpointFor(eventTypes: string[], extra: Record<string, unknown> = {}) {
    const { receiver: target, url } = await receiver();
    const endpoint = await service.createEndpoint({ url, eventTypes, ...extra });
    if (endpoint.secret) target.secrets = [endpoint.secret];
    if (endpoint.publicKey) target.publicKeys = [endpoint.publicKey];
    return { receiver: target, ...endpoint };
  }

  beforeAll(async () => {
    service = await startWebhookUnderTest(backend);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
    await Promise.all(receivers.map((each) => each.stop()));
  });

  it('delivers a signed CloudEvent to the endpoints that want it, and logs the delivery', async () => {
    const cars = await endpointFor(['car.*']);
    const users = await endpointFor(['user.created']);
    const carId = randomUUID();
    const event = service.publish('car', 'car.created', carId, [{ field: 'brand', from: null, to: 'Renault' }]);

    await waitFor(() => cars.receiver.delivered().length === 1, 20_000, 'the car event at the car endpoint');
    const [request] = cars.receiver.received;
    expect(request!.verified).toBe(true);
    expect(request!.event).toMatchObject({
      id: event.id,
      type: 'car.created',
      subject: carId,
      source: '/subgraphs/car',
    });
    expect(request!.messageId).toMatch(/^msg_[0-9a-f]{32}$/);
    // The CloudEvent as the owner made it, without the owner's internal event signature.
    expect(JSON.parse(request!.body)).toEqual({ ...event, sequence: event.sequence });
    expect(Object.keys(JSON.parse(request!.body))).not.toContain('signature');
    expect(users.receiver.received).toHaveLength(0);

    await waitFor(async () => (await service.deliveries(cars.id))[0]?.status === 'DELIVERED', 10_000, 'the log');
    const [logged] = await service.deliveries(cars.id);
    expect(logged).toMatchObject({ eventId: event.id, eventType: 'car.created', attempts: 1, responseCode: 200 });
    expect(logged!.messageId).toBe(request!.messageId);
  }, 60_000);

  it('filters by cost center and by society even when an event does not name them, from the events before it', async () => {
    const [lyon, paris] = [randomUUID(), randomUUID()];
    const byCostCenter = await endpointFor(['car.*'], { costCenterIds: [lyon] });
    const bySociety = await endpointFor(['car.*', 'cost-center.*'], { societyNames: ['Lyon SA'] });
    service.publish('cost-center', 'cost-center.created', lyon, [{ field: 'societyName', from: null, to: 'Lyon SA' }]);
    service.publish('cost-center', 'cost-center.created', paris, [
      { field: 'societyName', from: null, to: 'Paris SA' },
    ]);
    // The owners' feeds are read apart: a car is matched against the society known when its event arrives.
    await waitFor(() => bySociety.receiver.delivered().length === 1, 20_000, 'the Lyon cost center');
    const [inLyon, inParis] = [randomUUID(), randomUUID()];
    service.publish('car', 'car.created', inLyon, [{ field: 'costCenterId', from: null, to: lyon }]);
    service.publish('car', 'car.created', inParis, [{ field: 'costCenterId', from: null, to: paris }]);
    // Updates that name neither the cost center nor the society.
    const carUpdate = service.publish('car', 'car.updated', inLyon, [{ field: 'model', from: 'Clio', to: 'Zoe' }]);
    service.publish('car', 'car.updated', inParis, [{ field: 'model', from: 'Clio', to: 'Zoe' }]);
    const costCenterUpdate = service.publish('cost-center', 'cost-center.updated', lyon, [
      { field: 'code', from: 'LYO-1', to: 'LYO-2' },
    ]);

    await waitFor(() => byCostCenter.receiver.delivered().length === 2, 20_000, 'the Lyon car events');
    await waitFor(() => bySociety.receiver.delivered().length === 4, 20_000, 'the Lyon SA events');
    const ids = (endpoint: typeof byCostCenter) => endpoint.receiver.received.map((request) => request.event?.subject);
    expect(ids(byCostCenter)).toEqual([inLyon, inLyon]);
    expect(byCostCenter.receiver.received.map((request) => request.event?.id)).toContain(carUpdate.id);
    expect(new Set(ids(bySociety))).toEqual(new Set([lyon, inLyon]));
    expect(bySociety.receiver.received.map((request) => request.event?.id)).toEqual(
      expect.arrayContaining([carUpdate.id, costCenterUpdate.id]),
    );
  }, 60_000);

  it('stores a redelivered event once and queues nothing the second time', async () => {
    const prisma = service.subgraph.prisma as PrismaClient;
    await endpointFor(['cost-center.*']);
    // Stored straight in the log, as the feed or the broker would deliver it twice.
    const event = service.nextEvent('cost-center', 'cost-center.created', randomUUID(), []);
    event.sequence = '9000000000000000001';
    const now = new Date();
    const first = await prisma.$transaction((tx) => storeEvent(tx, event, now));
    const second = await prisma.$transaction((tx) => storeEvent(tx, event, now));
    expect(first).toBeGreaterThanOrEqual(1);
    expect(second).toBe(0);
    expect(await prisma.webhookDelivery.count({ where: { eventId: event.id } })).toBe(first);
  }, 60_000);

  it('retries a receiver that fails its first 3 attempts, with the same webhook-id, until it answers 2xx', async () => {
    const flaky = await endpointFor(['user.*']);
    flaky.receiver.failFirst(3, 503);
    service.publish('user', 'user.updated', randomUUID(), [{ field: 'email', from: 'a@x', to: 'b@x' }]);
    await waitFor(() => flaky.receiver.received.length === 1, 20_000, 'the first attempt');
    for (let attempt = 2; attempt <= 4; attempt += 1) {
      // The schedule's next delay (5 s, then 5 min, then 30 min, ±20%) passes on the delivery clock.
      await liveThrough(service.services, 40 * 60_000, 5 * 60_000);
      await waitFor(() => flaky.receiver.received.length >= attempt, 10_000, `attempt ${attempt}`);
    }
    expect(flaky.receiver.received.map((request) => request.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(flaky.receiver.received.map((request) => request.messageId)).size).toBe(1);
    expect(flaky.receiver.received.every((request) => request.verified)).toBe(true);
    await waitFor(async () => (await service.deliveries(flaky.id))[0]?.status === 'DELIVERED', 10_000, 'delivered');
    expect((await service.deliveries(flaky.id))[0]).toMatchObject({ attempts: 4, responseCode: 200 });
  }, 120_000);

  it('delivers to an endpoint down for a simulated day once it is back, and never faster than the schedule', async () => {
    const down = await endpointFor(['car.deleted']);
    down.receiver.answer = () => ({ status: 502 });
    service.publish('car', 'car.deleted', randomUUID(), []);
    await waitFor(() => down.receiver.received.length === 1, 20_000, 'the first attempt');
    await liveThrough(service.services, 24 * HOUR, 30 * 60_000);
    // 5 s, 5 min, 30 min, 2 h, 5 h and 10 h (±20%) fit in a day: 7 attempts, no more.
    expect(down.receiver.received.length).toBeGreaterThanOrEqual(6);
    expect(down.receiver.received.length).toBeLessThanOrEqual(7);
    down.receiver.answer = () => ({ status: 204 });
    await liveThrough(service.services, 14 * HOUR, 30 * 60_000);
    await waitFor(() => down.receiver.delivered().length === 1, 10_000, 'the delivery after recovery');
    const [delivery] = await service.deliveries(down.id);
    expect(delivery).toMatchObject({ status: 'DELIVERED', responseCode: 204 });
    const endpoint = dataOf(
      await service.query<{ webhookEndpoint: { enabled: boolean } }>(
        `query($id: ID!) { webhookEndpoint(id: $id) { enabled } }`,
        { id: down.id },
      ),
    );
    expect(endpoint.webhookEndpoint.enabled).toBe(true);
  }, 180_000);

  it('disables an endpoint whose every attempt failed, with its reason, and one that answers 410 at once', async () => {
    const dead = await endpointFor(['cost-center.deleted']);
    dead.receiver.answer = () => ({ status: 500 });
    const gone = await endpointFor(['cost-center.deleted']);
    gone.receiver.answer = () => ({ status: 410 });
    service.publish('cost-center', 'cost-center.deleted', randomUUID(), []);
    await waitFor(() => gone.receiver.received.length === 1, 20_000, 'the 410');
    await liveThrough(service.services, 40 * HOUR, HOUR);
    const read = async (id: string) =>
      dataOf(
        await service.query<{ webhookEndpoint: { enabled: boolean; disabledReason: string | null } }>(
          `query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason } }`,
          { id },
        ),
      ).webhookEndpoint;
    await waitFor(async () => !(await read(dead.id)).enabled, 10_000, 'the dead endpoint disabled');
    expect(await read(dead.id)).toEqual({ enabled: false, disabledReason: expect.stringContaining('every attempt') });
    expect(await read(gone.id)).toEqual({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' });
    // Each disabling is a domain event of the webhook subgraph (its feed's `webhook.updated`), with the reason.
    const prisma = service.subgraph.prisma as PrismaClient;
    for (const endpoint of [dead, gone]) {
      const [disabling] = await prisma.auditEvent.findMany({
        where: { entity: 'WebhookEndpoint', entityId: endpoint.id, action: 'UPDATE' },
      });
      expect(eventDefinitionOf(disabling!.entity, disabling!.action)?.type).toBe('webhook.updated');
      expect(JSON.stringify(disabling!.changes)).toContain('disabledReason');
    }
    expect(dead.receiver.received).toHaveLength(8);
    expect(gone.receiver.received).toHaveLength(1);
    expect((await service.deliveries(dead.id))[0]).toMatchObject({ status: 'FAILED', attempts: 8 });
  }, 180_000);

  it("delivers each entity's events in order to an endpoint, with several in flight at once", async () => {
    const ordered = await endpointFor(['user.*']);
    let calls = 0;
    // Random answer times, and the first attempt at the first event fails: later events of that user must wait.
    ordered.receiver.answer = () => ({ status: calls++ === 0 ? 500 : 200, delayMs: Math.floor(Math.random() * 40) });
    const users = [randomUUID(), randomUUID(), randomUUID()];
    for (let i = 0; i < 30; i += 1)
      service.publish('user', 'user.updated', users[i % 3]!, [{ field: 'n', from: i - 1, to: i }]);
    await waitFor(() => ordered.receiver.received.length >= 1, 20_000, 'the first attempt');
    await liveThrough(service.services, 30_000, 10_000);
    await waitFor(() => ordered.receiver.delivered().length === 30, 30_000, '30 deliveries');
    for (const user of users) {
      const sequences = ordered.receiver
        .delivered()
        .filter((request) => request.event.subject === user)
        .map((request) => Number(request.event.sequence));
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(sequences).toHaveLength(10);
    }
  }, 120_000);

  it('keeps a slow and a dead endpoint from delaying a healthy one', async () => {
    const healthy = await endpointFor(['car.updated']);
    const slow = await endpointFor(['car.updated']);
    slow.receiver.answer = () => ({ status: 200, delayMs: 4_000 });
    const dead = await service.createEndpoint({ url: 'http://127.0.0.1:9/hook', eventTypes: ['car.updated'] });
    const startedAt = Date.now();
    for (let i = 0; i < 20; i += 1) service.publish('car', 'car.updated', randomUUID(), []);
    await waitFor(() => healthy.receiver.delivered().length === 20, 20_000, 'the healthy endpoint');
    // While the slow endpoint has answered at most its concurrency's worth.
    expect(slow.receiver.delivered().length).toBeLessThan(20);
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect((await service.deliveries(dead.id)).every((delivery) => delivery.status === 'PENDING')).toBe(true);
  }, 120_000);

  it('signs with the old and the new secret during a rotation, then with the new one only', async () => {
    const rotating = await endpointFor(['car.created']);
    const oldSecret = rotating.secret!;
    const rotated = dataOf(
      await service.query<{ rotateWebhookSecret: { secret: string; endpoint: { previousSecretExpiresAt: string } } }>(
        `mutation($id: ID!) { rotateWebhookSecret(id: $id, graceSeconds: 3600) { secret endpoint { previousSecretExpiresAt } } }`,
        { id: rotating.id },
      ),
    ).rotateWebhookSecret;
    expect(rotated.secret).not.toBe(oldSecret);
    service.publish('car', 'car.created', randomUUID(), []);
    await waitFor(() => rotating.receiver.received.length === 1, 20_000, 'a delivery during the grace period');
    const during = rotating.receiver.received[0]!;
    expect(during.signature.split(' ')).toHaveLength(2);
    expect(WebhookReceiver.verifiesWith(oldSecret, during)).toBe(true);
    expect(WebhookReceiver.verifiesWith(rotated.secret, during)).toBe(true);

    service.services.clock.advance(2 * HOUR);
    service.publish('car', 'car.created', randomUUID(), []);
    await waitFor(() => rotating.receiver.received.length === 2, 20_000, 'a delivery after the grace period');
    const after = rotating.receiver.received[1]!;
    expect(after.signature.split(' ')).toHaveLength(1);
    expect(WebhookReceiver.verifiesWith(rotated.secret, after)).toBe(true);
    expect(WebhookReceiver.verifiesWith(oldSecret, after)).toBe(false);
  }, 60_000);

  it('replays events by owner sequence range and by time range, with their webhook-ids', async () => {
    const replayed = await endpointFor(['cost-center.updated']);
    // Event times are the owners' (real time), whatever the delivery clock says; from now on, so that
    // events other tests published to this service earlier are outside the replayed range.
    const before = new Date();
    const events = [1, 2, 3].map(() => service.publish('cost-center', 'cost-center.updated', randomUUID(), []));
    await waitFor(() => replayed.receiver.delivered().length === 3, 20_000, 'three deliveries');
    const firstIds = replayed.receiver.received.map((request) => request.messageId);

    const bySequence = dataOf(
      await service.query<{ replayWebhookEvents: { queued: number } }>(
        `mutation($input: ReplayWebhookEventsInput!) { replayWebhookEvents(input: $input) { queued } }`,
        {
          input: {
            endpointId: replayed.id,
            owner: 'cost-center',
            fromSequence: events[1]!.sequence,
            toSequence: events[2]!.sequence,
          },
        },
      ),
    ).replayWebhookEvents;
    expect(bySequence.queued).toBe(2);
    await waitFor(() => replayed.receiver.delivered().length === 5, 20_000, 'two replayed deliveries');
    expect(replayed.receiver.received.slice(3).map((request) => request.event.id)).toEqual([
      events[1]!.id,
      events[2]!.id,
    ]);
    expect(replayed.receiver.received.slice(3).map((request) => request.messageId)).toEqual(firstIds.slice(1));

    const byTime = dataOf(
      await service.query<{ replayWebhookEvents: { queued: number } }>(
        `mutation($input: ReplayWebhookEventsInput!) { replayWebhookEvents(input: $input) { queued } }`,
        {
          input: {
            endpointId: replayed.id,
            from: before.toISOString(),
            to: new Date(Date.now() + HOUR * 100).toISOString(),
          },
        },
      ),
    ).replayWebhookEvents;
    expect(byTime.queued).toBe(3);
    await waitFor(() => replayed.receiver.delivered().length === 8, 20_000, 'three more');

    const both = await service.query(
      `mutation($input: ReplayWebhookEventsInput!) { replayWebhookEvents(input: $input) { queued } }`,
      {
        input: {
          endpointId: replayed.id,
          owner: 'car',
          fromSequence: '1',
          toSequence: '2',
          from: before.toISOString(),
          to: before.toISOString(),
        },
      },
    );
    expect(errorCodesByPath(both)).toEqual([[['replayWebhookEvents'], 'INVALID_ARGUMENT']]);
  }, 60_000);

  it('sends a test event, and signs an ED25519 endpoint with the key it publishes', async () => {
    const ed = await endpointFor(['user.deleted'], { signing: 'ED25519' });
    expect(ed.secret).toBeNull();
    expect(ed.publicKey).toContain('BEGIN PUBLIC KEY');
    const sent = dataOf(
      await service.query<{ sendWebhookTestEvent: { eventType: string; status: string } }>(
        `mutation($id: ID!) { sendWebhookTestEvent(id: $id) { eventType status } }`,
        { id: ed.id },
      ),
    ).sendWebhookTestEvent;
    expect(sent).toEqual({ eventType: 'webhook.test', status: 'PENDING' });
    await waitFor(() => ed.receiver.delivered().length === 1, 20_000, 'the test event');
    expect(ed.receiver.received[0]!.verified).toBe(true);
    expect(ed.receiver.received[0]!.signature).toMatch(/^v1a,/);
  }, 60_000);

  it('never returns or stores a secret in clear, nor in the audit trail', async () => {
    const endpoint = await endpointFor(['*']);
    const prisma = service.subgraph.prisma as PrismaClient;
    const row = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(row.secret).not.toContain(endpoint.secret!.slice(6));
    const audit = JSON.stringify(
      await prisma.auditEvent.findMany({ where: { entityId: endpoint.id }, select: { changes: true } }),
    );
    expect(audit).toContain('eventTypes');
    expect(audit).not.toContain(endpoint.secret!.slice(6));
    expect(audit).not.toContain(row.secret);
  }, 30_000);
});
