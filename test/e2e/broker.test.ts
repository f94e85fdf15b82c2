import { randomUUID } from 'node:crypto';
import { developmentEventKey, EventSigner, formatSequence, type CloudEvent } from '@car-check/events';
import { eventRelayOf } from '@car-check/subgraph-kit';
import { connect, type ChannelModel } from 'amqplib';
import { COST_CENTER_REPLICA } from '../../subgraphs/car/src/costCenterReplica';
import type { CarServices } from '../../subgraphs/car/src/server';
import type { PrismaClient as CarPrisma } from '../../subgraphs/car/src/prisma';
import type { PrismaClient as CostCenterPrisma } from '../../subgraphs/cost-center/src/prisma';
import { ONE_BACKEND, testConfig } from '@car-check/test-support/config';
import {
  activeManagers as managers,
  CONVERGED,
  createCostCenter as createCostCenterIn,
  deleteCostCenter as deleteCostCenterIn,
  expectReplicaMatchesStream,
  replicaCostCenters,
  expectSomeNotApplied,
  interruptionPoints,
  runCostCenterChanges,
  updateCostCenter as updateCostCenterIn,
  waitReplicaConverged,
  waitSomeApplied,
} from '@car-check/test-support/costCenterReplica';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { TEST_SIGNING_SECRET } from '@car-check/test-support/secrets';
import { startSubgraphProcess } from '@car-check/test-support/subgraphProcess';
import { waitFor } from '@car-check/test-support/waitFor';
import { managementGet } from '@car-check/test-support/management';
import { forgedRename, MAX_SEQUENCE } from '@car-check/test-support/forgedEvents';
import { requireServices } from '@car-check/test-support/services';
import type { WebhookServices } from '../../subgraphs/webhook/src/services';

/** RabbitMQ, as on the development machine and in CI. */
const AMQP_URL = testConfig.TEST_AMQP_URL;
// Without RabbitMQ, every test here stops with "RabbitMQ unreachable at …", not a failed assertion.
beforeAll(() => requireServices('rabbitmq'));
const MAX_ATTEMPTS = 3;
/** The highest sequence a cursor can hold (a PostgreSQL bigint). */
/** How each subgraph signs its events in tests (development keys, derived from the tests' signing secret). */
const signerOf = (subgraph: string) => new EventSigner(subgraph, developmentEventKey(TEST_SIGNING_SECRET, subgraph));

interface CarNode {
  id: string;
  costCenter: { id: string; code: string; societyName: string; manager: { id: string } | null } | null;
}
type Filter = { costCenterCode?: string; societyName?: string; managerId?: string };

/**
 * The broker delivery mode (AMQP_URL set): each owner's relay publishes its
 * unpublished event rows to a topic exchange with publisher confirms and marks
 * them `published_at`; the car subgraph's replica reads a durable queue bound
 * to `cost-center.*` instead of polling the feed. Each run uses its own
 * exchange and queue (deleted at the end), so runs in parallel never meet.
 *
 * On one backend, PostgreSQL: the broker mode is the production deployment's (PostgreSQL and
 * RabbitMQ), and what it adds to the feed mode (publishing with confirms, the durable queue, its
 * dead letters) does not depend on the database. The outbox and the replica's SQL run on PGlite
 * too in the feed mode (test/e2e/events.test.ts, test/e2e/readModel.test.ts).
 */
const backend = ONE_BACKEND;
describe(`the broker delivery mode (${backend})`, () => {
  const run = randomUUID().slice(0, 8);
  const exchange = `car-check.events.test-${backend}-${run}`;
  const queue = `car-check.cost-center-replica.test-${backend}-${run}`;
  let graph: TestGraph;
  const carPrisma = () => graph.subgraphs.car.prisma as CarPrisma;
  const ownerPrisma = () => graph.subgraphs['cost-center'].prisma as CostCenterPrisma;
  const consumer = () => (graph.subgraphs.car.services as CarServices).costCenterReplica;
  const relay = () => {
    const found = eventRelayOf(graph.subgraphs['cost-center'].prisma);
    if (!found) throw new Error('the cost-center subgraph runs no event relay');
    return found;
  };

  /** Declares (or deletes) this run's exchange and queue, as a deployment would. */
  async function withChannel<T>(work: (channel: import('amqplib').ConfirmChannel) => Promise<T>): Promise<T> {
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      return await work(channel);
    } finally {
      await connection.close();
    }
  }

  beforeAll(async () => {
    // The queue exists before anything is published (messages to an exchange with no queue bound are dropped).
    await withChannel(async (channel) => {
      await channel.assertExchange(exchange, 'topic', { durable: true });
      await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, exchange, 'cost-center.*');
    });
    graph = await startGraph(backend, {
      seed: true,
      subgraphEnv: {
        AMQP_URL,
        EVENTS_EXCHANGE: exchange,
        EVENTS_QUEUE: queue,
        EVENTS_POLL_MS: '100',
        EVENTS_RELAY_POLL_MS: '50',
        EVENTS_RELAY_BATCH: '25',
        EVENTS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      },
    });
    // Generous: starting three subgraphs and a gateway on a loaded 2-core machine.
  }, 300_000);
  afterAll(async () => {
    await graph?.stop();
    await withChannel(async (channel) => {
      await channel.deleteQueue(queue);
      // The webhook and report subgraphs' queues, one per owner (ownerConsumerNames in subgraph-kit).
      for (const reader of ['webhook', 'report']) {
        for (const owner of ['car', 'cost-center', 'user']) await channel.deleteQueue(`${queue}.${reader}-${owner}`);
      }
      await channel.deleteExchange(exchange);
    });
  });

  const replica = () => replicaCostCenters(graph);
  const waitConverged = () => waitReplicaConverged(graph);
  /** The environment of a subgraph process that joins this run's broker set-up. */
  const brokerEnv = {
    AMQP_URL,
    EVENTS_EXCHANGE: exchange,
    EVENTS_QUEUE: queue,
    EVENTS_RELAY_POLL_MS: '50',
    EVENTS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  };

  async function cars(filter: Filter): Promise<CarNode[]> {
    const nodes: CarNode[] = [];
    let after: string | null = null;
    for (;;) {
      const {
        cars: page,
      }: { cars: { edges: { node: CarNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
        dataOf(
          await graph.query(
            `query($filter: CarFilter, $after: String) { cars(first: 100, after: $after, filter: $filter, orderBy: { field: CREATED_AT, direction: ASC }) {
            pageInfo { hasNextPage endCursor } edges { node { id costCenter { id code societyName manager { id } } } } } }`,
            { filter, after },
          ),
        );
      nodes.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }
  /** What the filter should return: `all` (every car through the graph), filtered here. */
  function expected(all: CarNode[], filter: Filter): string[] {
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    return all
      .filter(
        ({ costCenter }) =>
          costCenter !== null &&
          (!filter.costCenterCode || same(costCenter.code, filter.costCenterCode)) &&
          (!filter.societyName || same(costCenter.societyName, filter.societyName)) &&
          (!filter.managerId || costCenter.manager?.id === filter.managerId),
      )
      .map((node) => node.id);
  }

  const createCostCenter = (code: string, societyName: string, managerId: string) =>
    createCostCenterIn(graph, code, societyName, managerId);
  const updateCostCenter = (id: string, input: Record<string, string>) => updateCostCenterIn(graph, id, input);
  const deleteCostCenter = (id: string) => deleteCostCenterIn(graph, id);
  const createCar = async (model: string, costCenterId: string) =>
    dataOf(
      await graph.query(
        `mutation($m: String!, $cc: ID!) { createCar(input: { brand: "Peugeot", model: $m, costCenterId: $cc }) { id } }`,
        { m: model, cc: costCenterId },
      ),
    );
  const unpublished = () => ownerPrisma().auditEvent.count({ where: { publishedAt: null, entity: 'CostCenter' } });

  it('carries cost-center changes made through the gateway to the car replica through RabbitMQ', async () => {
    // The webhook subgraph binds a queue to every owner's events: without its car queue, car events have none.
    const webhook = graph.subgraphs.webhook.services as WebhookServices;
    await webhook.consumers.find((consumer) => consumer.name === 'webhook-car')!.stop();
    await withChannel((channel) => channel.deleteQueue(`${queue}.webhook-car`));
    await waitConverged();
    expect((await replica()).length).toBeGreaterThanOrEqual(4);
    const [m1, m2, m3] = [managers[1]!, managers[2]!, managers[3]!];
    const north = await createCostCenter('BR-NORTH', 'Broker North', m1);
    const south = await createCostCenter('BR-SOUTH', 'Broker South', m2);
    const lettersBefore = await carPrisma().eventDeadLetter.count();
    const gone = await createCostCenter('BR-GONE', 'Broker Gone', m3);
    for (const [index, center] of [north, north, south].entries()) await createCar(`BR ${index}`, center);
    await updateCostCenter(north, { code: 'BR-NORTH-2', societyName: 'Broker Nord' });
    await updateCostCenter(south, { managerId: m3 });
    await deleteCostCenter(gone);
    await waitConverged();

    const filters: Filter[] = [
      { costCenterCode: 'BR-NORTH-2' },
      { costCenterCode: 'BR-NORTH' },
      { costCenterCode: 'br-south' },
      { costCenterCode: 'BR-GONE' },
      { societyName: 'broker nord' },
      { managerId: m1 },
      { managerId: m3 },
      { costCenterCode: 'BR-NORTH-2', managerId: m1 },
    ];
    // Every car, read once: nothing changes while the filters are compared.
    const all = await cars({});
    for (const filter of filters) {
      const got = (await cars(filter)).map((node) => node.id);
      expect([filter, got]).toEqual([filter, expected(all, filter)]);
    }
    expect((await cars({ costCenterCode: 'BR-NORTH-2' })).length).toBe(2);
    expect((await cars({ managerId: m3 })).map((node) => node.costCenter?.id)).toContain(south);

    // Every event row is marked published once the broker confirmed it.
    await waitFor(async () => (await unpublished()) === 0, CONVERGED, 'every event row to be published');
    const carReady = (await (await managementGet(graph.subgraphs.car.url, '/ready')).json()) as {
      consumers: Record<string, Record<string, unknown>>;
    };
    expect(carReady.consumers[COST_CENTER_REPLICA]).toMatchObject({
      mode: 'amqp',
      running: true,
      connected: true,
      queue,
      deadLetters: lettersBefore,
    });
    expect(JSON.stringify(carReady)).not.toContain('guest:guest');
    const ownerReady = (await (await managementGet(graph.subgraphs['cost-center'].url, '/ready')).json()) as {
      relay: Record<string, unknown>;
    };
    expect(ownerReady.relay).toMatchObject({ mode: 'amqp', running: true, connected: true, exchange, unroutable: {} });
    // No subgraph consumes the webhook subgraph's own events: the broker returns them (published as
    // mandatory), and its relay says so. (Car events are not a test of this: the webhook and report
    // subgraphs bind queues to car.* in this run.)
    const created = await graph.query<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
      'mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:1/broker-test", eventTypes: ["car.*"] }) { endpoint { id } } }',
    );
    expect(created.errors).toBeUndefined();
    await waitFor(
      async () => {
        const webhookRelay = (
          (await (await managementGet(graph.subgraphs.webhook.url, '/ready')).json()) as {
            relay: { unroutable: Record<string, number> };
          }
        ).relay;
        return (webhookRelay.unroutable['webhook.created'] ?? 0) >= 1;
      },
      CONVERGED,
      'the webhook relay to report its unroutable webhook.created event',
    );
  }, 180_000);

  it('publishes every row at least once and loses nothing when the relay stops in the middle of a stream of changes', async () => {
    await waitConverged();
    await waitFor(async () => (await unpublished()) === 0, CONVERGED, 'every event row to be published');
    const publishedBefore = relay().status().published;
    const before = await ownerPrisma().auditEvent.aggregate({
      _max: { sequence: true },
      where: { entity: 'CostCenter' },
    });
    const [stopAt, restartAt] = interruptionPoints(2);
    const stream = await runCostCenterChanges(graph, 'BR-RELAY', {
      before: async (index) => {
        if (index === stopAt) {
          await waitSomeApplied(graph, 'BR-RELAY');
          await relay().stop();
        }
        if (index === restartAt) {
          expect(await unpublished()).toBeGreaterThan(0);
          await expectSomeNotApplied(graph, 'BR-RELAY');
          // As if the relay had crashed after the broker confirmed its last batches but before it marked them.
          await ownerPrisma().$executeRaw`
            UPDATE audit_event SET published_at = NULL
            WHERE id IN (SELECT id FROM audit_event WHERE entity = 'CostCenter' AND published_at IS NOT NULL ORDER BY sequence DESC LIMIT 30)`;
          relay().start();
        }
      },
    });
    await waitFor(async () => (await unpublished()) === 0, CONVERGED, 'every event row to be published');
    await expectReplicaMatchesStream(graph, stream);
    const last = await ownerPrisma().auditEvent.aggregate({
      _max: { sequence: true },
      where: { entity: 'CostCenter' },
    });
    // Every change that changed something is an event (a manager set to the one it had is none).
    const written = await ownerPrisma().auditEvent.count({
      where: { entity: 'CostCenter', sequence: { gt: before._max.sequence ?? 0n } },
    });
    // (At least the 20 creations, the 147 renames and the 10 deletions of STREAM_CHANGES = 250.)
    expect(written).toBeGreaterThan(150);
    // Every row published at least once; the 30 "unmarked" ones again after the restart.
    expect(relay().status().published - publishedBefore).toBeGreaterThanOrEqual(written + 30);
    await waitFor(
      async () =>
        (await carPrisma().eventCursor.findUnique({ where: { consumer: COST_CENTER_REPLICA } }))?.position ===
        last._max.sequence,
      CONVERGED,
      'the cursor to record the last sequence',
    );
  }, 300_000);

  it('loses and duplicates nothing when its consumer’s connection is cut, and when it stops, in the middle of a stream of changes', async () => {
    await waitConverged();
    const [cutAt, stopAt, startAt] = interruptionPoints(3);
    const stream = await runCostCenterChanges(graph, 'BR-CONSUMER', {
      before: async (index) => {
        if (index === cutAt) {
          await waitSomeApplied(graph, 'BR-CONSUMER');
          // The socket dies under it, as in a crash of the broker's side or of the network: unacknowledged messages are redelivered.
          const { connection } = consumer() as unknown as {
            connection: ChannelModel & { connection: { stream: { destroy(error: Error): void } } };
          };
          connection.connection.stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
        }
        if (index === stopAt) await consumer().stop();
        if (index === startAt) {
          await expectSomeNotApplied(graph, 'BR-CONSUMER');
          consumer().start();
        }
      },
    });
    await expectReplicaMatchesStream(graph, stream);
    const ready = (await (await managementGet(graph.subgraphs.car.url, '/ready')).json()) as {
      consumers: Record<string, Record<string, unknown>>;
    };
    expect(ready.consumers[COST_CENTER_REPLICA]).toMatchObject({ mode: 'amqp', running: true, connected: true });
  }, 300_000);

  if (backend === 'postgres') {
    it('loses and duplicates nothing when the process reading the queue is killed (SIGKILL) in the middle of a stream of changes', async () => {
      await waitConverged();
      await consumer().stop();
      let instance = await startSubgraphProcess(graph, 'car', brokerEnv);
      try {
        const [killAt, restartAt] = interruptionPoints(2);
        const stream = await runCostCenterChanges(graph, 'BR-KILL-CONSUMER', {
          before: async (index) => {
            if (index === killAt) {
              await waitSomeApplied(graph, 'BR-KILL-CONSUMER');
              await instance.kill();
            }
            if (index === restartAt) {
              await expectSomeNotApplied(graph, 'BR-KILL-CONSUMER');
              instance = await startSubgraphProcess(graph, 'car', brokerEnv);
            }
          },
        });
        await expectReplicaMatchesStream(graph, stream);
      } finally {
        await instance.stop();
        consumer().start();
      }
    }, 300_000);

    it('publishes everything when the process relaying the outbox is killed (SIGKILL) in the middle of a stream of changes', async () => {
      await waitConverged();
      await waitFor(async () => (await unpublished()) === 0, CONVERGED, 'every event row to be published');
      await relay().stop();
      let instance = await startSubgraphProcess(graph, 'cost-center', brokerEnv);
      try {
        const [killAt, restartAt] = interruptionPoints(2);
        const stream = await runCostCenterChanges(graph, 'BR-KILL-RELAY', {
          before: async (index) => {
            if (index === killAt) {
              await waitSomeApplied(graph, 'BR-KILL-RELAY');
              await instance.kill();
            }
            if (index === restartAt) {
              await expectSomeNotApplied(graph, 'BR-KILL-RELAY');
              instance = await startSubgraphProcess(graph, 'cost-center', brokerEnv);
            }
          },
        });
        await waitFor(async () => (await unpublished()) === 0, CONVERGED, 'every event row to be published');
        await expectReplicaMatchesStream(graph, stream);
      } finally {
        await instance.stop();
        relay().start();
      }
    }, 300_000);
  }

  it('a consumer new to its queue (declared after events were published) first reads the owner’s feed from the start', async () => {
    await waitConverged();
    const before = await replica();
    const lettersBefore = await carPrisma().eventDeadLetter.count();
    // As on a first deployment: no queue yet, an empty read model, events already published (and dropped).
    await consumer().stop();
    await withChannel((channel) => channel.deleteQueue(queue));
    await carPrisma().$executeRaw`DELETE FROM cost_center_replica`;
    await carPrisma().$executeRaw`DELETE FROM event_cursor WHERE consumer = ${COST_CENTER_REPLICA}`;
    const early = await createCostCenter('BR-BEFORE-QUEUE', 'Before the queue', managers[1]!);
    await updateCostCenter(early, { societyName: 'Before the queue, renamed' });
    await waitFor(async () => (await unpublished()) === 0, CONVERGED, 'the early events to be published (to no queue)');

    consumer().start();
    await waitConverged();
    expect((await replica()).length).toBe(before.length + 1);
    expect((await replica()).find((row) => row.id === early)).toMatchObject({
      societyName: 'Before the queue, renamed',
      revision: 2,
    });
    // And from the queue from then on.
    const late = await createCostCenter('BR-AFTER-QUEUE', 'After the queue', managers[2]!);
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUnique({ where: { id: late } })) !== null,
      CONVERGED,
      'an event through the queue',
    );
    // Nothing dead-lettered on the way (other tests' letters aside).
    expect(await carPrisma().eventDeadLetter.count()).toBe(lettersBefore);
  }, 180_000);

  it('applies only what its owner signed: a forged message published straight to the exchange is dead-lettered and moves neither revision nor cursor', async () => {
    await waitConverged();
    const id = await createCostCenter('BR-TARGET', 'Broker target', managers[1]!);
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null,
      CONVERGED,
      'the target in the replica',
    );
    const lettersBefore = await carPrisma().eventDeadLetter.count();
    const cursorBefore = (await carPrisma().eventCursor.findUniqueOrThrow({ where: { consumer: COST_CENTER_REPLICA } }))
      .position;
    // As in the incident: a rename at a revision no real update reaches, and the highest sequence there is.
    const forged = (): CloudEvent => forgedRename(id, 'BR-TARGET');
    const unsigned = forged();
    // Signed by the owner, then changed on the way.
    const signed = signerOf('cost-center').sign(forged());
    const tampered = { ...signed, data: { ...signed.data, revision: 2_000_000 } };
    // Signed by the car subgraph (a valid signature, with its own key), claiming to be the cost-center subgraph's.
    const misSourced = signerOf('car').sign(forged());
    const messages = [unsigned, tampered, misSourced];
    await withChannel(async (channel) => {
      for (const message of messages)
        channel.publish(exchange, message.type, Buffer.from(JSON.stringify(message)), {
          persistent: true,
          messageId: message.id,
        });
      await channel.waitForConfirms();
    });
    const ids = messages.map((message) => message.id);
    const letters = () =>
      carPrisma().eventDeadLetter.findMany({ where: { eventId: { in: ids } }, orderBy: { failedAt: 'asc' } });
    // Dead-lettered, or (the defect) applied: whichever comes first.
    await waitFor(
      async () =>
        (await letters()).length === ids.length ||
        (await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).code === 'FORGED',
      CONVERGED,
      'the forged messages to be dead-lettered',
    );
    expect(await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).toMatchObject({
      code: 'BR-TARGET',
      revision: 1,
    });
    const byId = new Map((await letters()).map((letter) => [letter.eventId, letter]));
    expect(byId.get(unsigned.id)).toMatchObject({ consumer: COST_CENTER_REPLICA, sequence: 0n });
    expect(byId.get(unsigned.id)?.error).toMatch(/^unsigned: /);
    expect(byId.get(tampered.id)?.error).toMatch(/^bad signature: /);
    expect(byId.get(misSourced.id)?.error).toMatch(/^wrong source: signed by "car"/);
    expect(byId.get(misSourced.id)).toMatchObject({ sequence: 0n });
    const cursor = (await carPrisma().eventCursor.findUniqueOrThrow({ where: { consumer: COST_CENTER_REPLICA } }))
      .position;
    expect(cursor).toBeGreaterThanOrEqual(cursorBefore);
    expect(cursor).toBeLessThan(MAX_SEQUENCE);
    // Counted like every dead letter.
    const ready = (await (await managementGet(graph.subgraphs.car.url, '/ready')).json()) as {
      consumers: Record<string, { deadLetters: number; connected: boolean }>;
    };
    expect(ready.consumers[COST_CENTER_REPLICA]).toMatchObject({
      deadLetters: lettersBefore + ids.length,
      connected: true,
    });
    // The owner's real updates still apply, at their own revisions.
    await updateCostCenter(id, { code: 'BR-TARGET-2' });
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).code === 'BR-TARGET-2',
      CONVERGED,
      'the real update',
    );
    expect(await carPrisma().costCenterReplica.findUniqueOrThrow({ where: { id } })).toMatchObject({ revision: 2 });
  }, 180_000);

  it('dead-letters a poison event after its attempts, and applies the next ones', async () => {
    await waitConverged();
    const lettersBefore = await carPrisma().eventDeadLetter.count();
    // Signed by its owner: refused by the handler, not by the signature check.
    const poison = signerOf('cost-center').sign({
      specversion: '1.0',
      id: randomUUID(),
      source: '/subgraphs/cost-center',
      type: 'cost-center.updated',
      subject: randomUUID(),
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      sequence: formatSequence(1),
      data: {
        revision: 2,
        changes: [{ field: 'code', from: 'X', to: 'Y' }],
        actorId: null,
        requestId: 'poison',
        traceId: null,
      },
    });
    await withChannel(async (channel) => {
      channel.publish(exchange, poison.type, Buffer.from(JSON.stringify(poison)), { persistent: true });
      channel.publish(exchange, 'cost-center.updated', Buffer.from('not json'), {
        persistent: true,
        messageId: 'not-json',
      });
      await channel.waitForConfirms();
    });
    await waitFor(
      async () => (await carPrisma().eventDeadLetter.count({ where: { eventId: poison.id } })) === 1,
      CONVERGED,
      'the poison event to be dead-lettered',
    );
    const letter = await carPrisma().eventDeadLetter.findFirstOrThrow({ where: { eventId: poison.id } });
    expect(letter).toMatchObject({ consumer: COST_CENTER_REPLICA, attempts: MAX_ATTEMPTS });
    expect(letter.error).toMatch(/not in the replica/);
    await waitFor(
      async () => (await carPrisma().eventDeadLetter.count({ where: { eventId: 'not-json' } })) === 1,
      CONVERGED,
      'the message that is no JSON',
    );

    const id = await createCostCenter('BR-AFTER-POISON', 'After poison', managers[1]!);
    await waitFor(
      async () => (await carPrisma().costCenterReplica.findUnique({ where: { id } })) !== null,
      CONVERGED,
      'the next event',
    );
    await waitConverged();
    const ready = (await (await managementGet(graph.subgraphs.car.url, '/ready')).json()) as {
      consumers: Record<string, { deadLetters: number; connected: boolean }>;
    };
    expect(ready.consumers[COST_CENTER_REPLICA]).toMatchObject({ deadLetters: lettersBefore + 2, connected: true });
  }, 180_000);
});
