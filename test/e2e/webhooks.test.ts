import { randomUUID } from 'node:crypto';
import { seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { BACKENDS } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { startSubgraphProcess, type SubgraphProcess } from '@car-check/test-support/subgraphProcess';
import { waitFor } from '@car-check/test-support/waitFor';
import { WebhookReceiver } from '@car-check/test-support/webhookReceiver';
import type { WebhookServices } from '../../subgraphs/webhook/src/services';

const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id enabled createdBy { id username } } }
}`;

interface Created {
  createWebhookEndpoint: {
    secret: string;
    endpoint: { id: string; enabled: boolean; createdBy: { id: string; username: string } };
  };
}

describe.each(BACKENDS)('webhooks through the gateway (%s)', (backend) => {
  let graph: TestGraph;
  const receiver = new WebhookReceiver();
  let url: string;

  // The default configuration: no extra environment for any service.
  beforeAll(async () => {
    url = await receiver.start();
    graph = await startGraph(backend, { seed: true });
  }, 180_000);
  afterAll(async () => {
    await graph?.stop();
    await receiver.stop();
  });

  it('delivers signed CloudEvents of car, cost-center and user changes to an endpoint registered through the graph', async () => {
    const created = dataOf(
      await graph.query<Created>(CREATE_ENDPOINT, {
        input: { url, eventTypes: ['car.created', 'cost-center.*', 'user.updated'], description: 'ERP' },
      }),
    ).createWebhookEndpoint;
    receiver.secrets = [created.secret];
    expect(created.endpoint).toMatchObject({ enabled: true, createdBy: { username: 'admin' } });

    const center = seedCostCenters[0]!;
    const car = dataOf(
      await graph.query<{ createCar: { id: string } }>(
        `mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`,
        { input: { brand: 'Renault', model: 'Zoe', costCenterId: center.id } },
      ),
    ).createCar;
    dataOf(
      await graph.query(
        `mutation($id: ID!) { updateCostCenter(id: $id, input: { societyName: "Acme Hooks" }) { id } }`,
        {
          id: center.id,
        },
      ),
    );
    const user = seedUsers.find((each) => each.username === 'viewer')!;
    dataOf(
      await graph.query(
        `mutation($id: ID!) { updateUser(id: $id, input: { email: "viewer-hooks@example.com" }) { id } }`,
        {
          id: user.id,
        },
      ),
    );

    // Events stored after the endpoint was registered reach it (e.g. the tail of the demo seed's, on a slow machine): find ours.
    const ofOurs = () => ({
      'car.created': receiver.delivered().find((request) => request.event.subject === car.id),
      'cost-center.updated': receiver
        .delivered()
        .find((request) => request.event.type === 'cost-center.updated' && request.event.subject === center.id),
      'user.updated': receiver.delivered().find((request) => request.event.subject === user.id),
    });
    await waitFor(() => Object.values(ofOurs()).every(Boolean), 30_000, 'the three deliveries');
    const byType = ofOurs();
    expect(byType['car.created']!.event).toMatchObject({ subject: car.id, source: '/subgraphs/car' });
    expect(byType['cost-center.updated']!.event).toMatchObject({
      subject: center.id,
      source: '/subgraphs/cost-center',
    });
    expect(byType['user.updated']!.event).toMatchObject({ subject: user.id, source: '/subgraphs/user' });
    expect(receiver.received.every((request) => request.verified)).toBe(true);

    const log = dataOf(
      await graph.query<{
        webhookEndpoint: { deliveries: { totalCount: number; edges: { node: { status: string } }[] } };
      }>(
        `query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 10) { totalCount edges { node { status } } } } }`,
        { id: created.endpoint.id },
      ),
    );
    expect(log.webhookEndpoint.deliveries.totalCount).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('needs webhook:read and webhook:write: a viewer is refused', async () => {
    const viewer = graph.as('viewer');
    expect(errorCodesByPath(await viewer(`{ webhookEndpoints { totalCount } }`))).toEqual([
      [['webhookEndpoints'], 'PERMISSION_DENIED'],
    ]);
    expect(errorCodesByPath(await viewer(CREATE_ENDPOINT, { input: { url, eventTypes: ['*'] } }))).toEqual([
      [['createWebhookEndpoint'], 'PERMISSION_DENIED'],
    ]);
  }, 60_000);

  if (backend === 'postgres') {
    it('shares the deliveries between two instances, each sent once', async () => {
      const second = await graph.startInstance('webhook');
      const shared = new WebhookReceiver();
      const sharedUrl = await shared.start();
      try {
        const created = dataOf(
          await graph.query<Created>(CREATE_ENDPOINT, { input: { url: sharedUrl, eventTypes: ['car.created'] } }),
        ).createWebhookEndpoint;
        shared.secrets = [created.secret];
        const center = seedCostCenters[1]!;
        for (let index = 0; index < 60; index += 1) {
          dataOf(
            await graph.query(`mutation($input: CreateCarInput!) { createCar(input: $input) { id } }`, {
              input: { brand: 'Two', model: `Instances ${index}`, costCenterId: center.id },
            }),
          );
        }
        await waitFor(() => shared.delivered().length >= 60, 60_000, '60 deliveries');
        // Give a second sender time to show itself, if there were one.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(new Set(shared.received.map((request) => request.messageId)).size).toBe(60);
        expect(shared.received).toHaveLength(60);
        expect(shared.received.every((request) => request.verified)).toBe(true);
      } finally {
        // The graph stops the instance; its delivery stops now, so the next test's process is the only sender.
        const services = second.services as WebhookServices;
        await Promise.all(services.consumers.map((consumer) => consumer.stop()));
        await services.dispatcher.stop();
        await shared.stop();
      }
    }, 120_000);

    it('delivers every one of 500 events at least once when the webhook process is killed (SIGKILL) in the middle', async () => {
      // The in-process instance stops delivering: a process of its own does, and is killed.
      const services = graph.subgraphs.webhook.services as WebhookServices;
      await Promise.all(services.consumers.map((consumer) => consumer.stop()));
      await services.dispatcher.stop();
      const killed = new WebhookReceiver();
      const killedUrl = await killed.start();
      killed.answer = () => ({ status: 200, delayMs: 15 });
      const created = dataOf(
        await graph.query<Created>(CREATE_ENDPOINT, { input: { url: killedUrl, eventTypes: ['cost-center.updated'] } }),
      ).createWebhookEndpoint;
      killed.secrets = [created.secret];
      const env = { EVENTS_POLL_MS: '50', WEBHOOK_POLL_MS: '50', WEBHOOK_LEASE_MS: '2000' };
      let instance: SubgraphProcess = await startSubgraphProcess(graph, 'webhook', env);
      const centers = seedCostCenters.slice(0, 5);
      try {
        // One writer per cost center, the five at once: each center's 100 changes are still made in
        // order (what the ordering check below needs), and the kill and the restart still fall in the
        // middle of the 500, counted across the writers.
        let index = 0;
        const writer = async (center: (typeof centers)[number]) => {
          for (let own = 0; own < 100; own += 1) {
            const at = index++;
            if (at === 125) await instance.kill();
            if (at === 300) instance = await startSubgraphProcess(graph, 'webhook', env);
            dataOf(
              await graph.query(
                `mutation($id: ID!, $name: String!) { updateCostCenter(id: $id, input: { societyName: $name }) { id } }`,
                { id: center.id, name: `Kill ${at} ${randomUUID().slice(0, 8)}` },
              ),
            );
          }
        };
        await Promise.all(centers.map(writer));
        const ours = () => killed.delivered().filter((request) => request.event.data?.changes !== undefined);
        await waitFor(() => new Set(ours().map((request) => request.event.id)).size >= 500, 120_000, '500 events');
      } finally {
        await instance.stop();
        await killed.stop();
      }
      const received = killed.delivered();
      expect(received.every((request) => request.verified)).toBe(true);
      // Duplicates are recognisable: one event, one webhook-id, however often it came.
      const idsByEvent = new Map<string, Set<string>>();
      for (const request of received)
        idsByEvent.set(request.event.id, (idsByEvent.get(request.event.id) ?? new Set()).add(request.messageId));
      expect(idsByEvent.size).toBe(500);
      expect([...idsByEvent.values()].every((ids) => ids.size === 1)).toBe(true);
      // Each cost center's events first arrived in their order.
      for (const center of centers) {
        const firstSeen: number[] = [];
        const seen = new Set<string>();
        for (const request of received.filter((each) => each.event.subject === center.id)) {
          if (seen.has(request.event.id)) continue;
          seen.add(request.event.id);
          firstSeen.push(Number(request.event.sequence));
        }
        expect(firstSeen).toEqual([...firstSeen].sort((a, b) => a - b));
        expect(firstSeen).toHaveLength(100);
      }
    }, 600_000);
  }
});
