import { randomUUID } from 'node:crypto';
import { formatSequence, type CloudEvent } from '@car-check/events';
import type { Backend } from '@car-check/test-support/config';
import { dataOf } from '@car-check/test-support/graphql';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@car-check/test-support/subgraphHarness';
import type { WebhookServices } from '../src/services';

/** The webhook subgraph alone, its owners' feeds faked, polling fast. */
export interface WebhookUnderTest extends SubgraphUnderTest {
  services: WebhookServices;
  /** An owner's next event, not published anywhere. */
  nextEvent(owner: string, type: string, subject: string, changes?: CloudEvent['data']['changes']): CloudEvent;
  /** Publishes an event in an owner's fake feed (signed by the owner's development key). */
  publish(owner: string, type: string, subject: string, changes?: CloudEvent['data']['changes']): CloudEvent;
  createEndpoint(
    input: Record<string, unknown>,
  ): Promise<{ id: string; secret: string | null; publicKey: string | null }>;
  deliveries(endpointId: string): Promise<DeliveryRow[]>;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  sequence: string;
  messageId: string;
  status: string;
  attempts: number;
  responseCode: number | null;
  lastError: string | null;
}

export const FAST_POLLING = { EVENTS_POLL_MS: '50', WEBHOOK_POLL_MS: '50' };

export async function startWebhookUnderTest(backend: Backend, env: NodeJS.ProcessEnv = {}): Promise<WebhookUnderTest> {
  const service = await startSubgraphUnderTest('webhook', backend, { env: { ...FAST_POLLING, ...env } });
  const sequences = new Map<string, number>();
  const nextEvent: WebhookUnderTest['nextEvent'] = (owner, type, subject, changes = []) => {
    const sequence = (sequences.get(owner) ?? 0) + 1;
    sequences.set(owner, sequence);
    return {
      specversion: '1.0',
      id: randomUUID(),
      source: `/subgraphs/${owner}`,
      type: type as CloudEvent['type'],
      subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      sequence: formatSequence(sequence),
      data: { revision: sequence, changes, actorId: null, requestId: randomUUID(), traceId: null },
    };
  };
  return {
    ...service,
    services: service.subgraph.services as WebhookServices,
    publish(owner, type, subject, changes = []) {
      const event = nextEvent(owner, type, subject, changes);
      service.peers[owner]!.events.push(event);
      return event;
    },
    nextEvent,
    async createEndpoint(input) {
      const created = dataOf(
        await service.query<{
          createWebhookEndpoint: { secret: string | null; endpoint: { id: string; publicKey: string | null } };
        }>(
          `mutation($input: CreateWebhookEndpointInput!) {
            createWebhookEndpoint(input: $input) { secret endpoint { id publicKey } }
          }`,
          { input },
        ),
      ).createWebhookEndpoint;
      return { id: created.endpoint.id, secret: created.secret, publicKey: created.endpoint.publicKey };
    },
    async deliveries(endpointId) {
      const data = dataOf(
        await service.query<{ webhookDeliveries: { edges: { node: DeliveryRow }[] } }>(
          `query($id: ID) { webhookDeliveries(first: 100, filter: { endpointId: $id }) { edges { node {
            id eventId eventType sequence messageId status attempts responseCode lastError } } } }`,
          { id: endpointId },
        ),
      );
      return data.webhookDeliveries.edges.map((edge) => edge.node);
    },
  };
}

/**
 * Moves the delivery clock forward in steps, letting the dispatcher do all that is due after each
 * (a simulated day in seconds): it claims, sends and records, whatever the machine's load.
 */
export async function liveThrough(services: WebhookServices, totalMs: number, stepMs: number) {
  for (let elapsed = 0; elapsed < totalMs; elapsed += stepMs) {
    services.clock.advance(stepMs);
    await services.dispatcher.settled();
  }
}
