import { randomUUID } from 'node:crypto';
import { type CloudEvent, type ConsumerSql, sequenceOf } from '@car-check/events';
import { matches } from './matching';

/** The owner of an event, from its source `/subgraphs/<name>`. */
export function ownerOf(event: CloudEvent): string {
  const owner = /^\/subgraphs\/([a-z][a-z0-9-]*)$/.exec(String(event?.source))?.[1];
  if (!owner) throw new Error(`bad source ${JSON.stringify(event?.source)}`);
  return owner;
}

interface EndpointFilterRow {
  id: string;
  event_types: string[];
  cost_center_ids: string[];
  society_names: string[];
}

/**
 * Stores one event in the event log and queues one delivery per enabled endpoint that
 * wants it, in the consumer's transaction (the one that also moves its cursor). The log
 * is unique on (owner, sequence) and deliveries on (endpoint, event): an event delivered
 * twice by the feed or the broker adds nothing the second time.
 */
export async function storeEvent(tx: ConsumerSql, event: CloudEvent, now: Date): Promise<number> {
  const owner = ownerOf(event);
  const sequence = sequenceOf(event);
  if (sequence === null) throw new Error(`bad sequence ${JSON.stringify(event?.sequence)}`);
  if (typeof event.type !== 'string' || typeof event.subject !== 'string')
    throw new Error('an event needs a type and a subject');
  const time = new Date(event.time);
  if (Number.isNaN(time.getTime())) throw new Error(`bad time ${JSON.stringify(event.time)}`);
  const inserted = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO webhook_event (id, owner, sequence, event_id, type, subject, time, event)
    VALUES (${randomUUID()}::uuid, ${owner}, ${sequence.toString()}::bigint, ${event.id}, ${event.type}, ${event.subject},
      ${time}, ${JSON.stringify(event)}::jsonb)
    ON CONFLICT (owner, sequence) DO NOTHING
    RETURNING id::text AS id`;
  const row = inserted[0];
  if (!row) return 0;
  const endpoints = await tx.$queryRaw<EndpointFilterRow[]>`
    SELECT id::text AS id, event_types, cost_center_ids, society_names FROM webhook_endpoint WHERE enabled`;
  const wanted = endpoints.filter((endpoint) =>
    matches(
      {
        eventTypes: endpoint.event_types,
        costCenterIds: endpoint.cost_center_ids,
        societyNames: endpoint.society_names,
      },
      event,
    ),
  );
  if (wanted.length > 0) {
    // One statement for all of them, whatever the number of endpoints.
    await tx.$executeRaw`
      INSERT INTO webhook_delivery (id, endpoint_id, event_row_id, event_id, event_type, owner, sequence, subject, status, next_attempt_at)
      SELECT gen_random_uuid(), endpoint_id, ${row.id}::uuid, ${event.id}, ${event.type}, ${owner}, ${sequence.toString()}::bigint,
        ${event.subject}, 'PENDING', ${now}
      FROM unnest(${wanted.map((endpoint) => endpoint.id)}::uuid[]) AS endpoint_id
      ON CONFLICT (endpoint_id, event_row_id) DO NOTHING`;
  }
  return wanted.length;
}

/** The event-log columns a delivery copies. */
export interface LoggedEvent {
  id: string;
  owner: string;
  sequence: bigint;
  eventId: string;
  type: string;
  subject: string;
}

/**
 * Queues an event to an endpoint, due now. When the pair exists (a replay), it is queued
 * again with a fresh schedule and keeps its id, so its `webhook-id` stays the same.
 */
export async function queueDelivery(
  tx: ConsumerSql,
  endpointId: string,
  event: LoggedEvent,
  now: Date,
  { again = false }: { again?: boolean } = {},
): Promise<boolean> {
  const changed = again
    ? await tx.$executeRaw`
        INSERT INTO webhook_delivery (id, endpoint_id, event_row_id, event_id, event_type, owner, sequence, subject, status, next_attempt_at)
        VALUES (${randomUUID()}::uuid, ${endpointId}::uuid, ${event.id}::uuid, ${event.eventId}, ${event.type}, ${event.owner},
          ${event.sequence.toString()}::bigint, ${event.subject}, 'PENDING', ${now})
        ON CONFLICT (endpoint_id, event_row_id) DO UPDATE SET status = 'PENDING', attempts = 0, next_attempt_at = ${now},
          lease_owner = NULL, lease_until = NULL, delivered_at = NULL, last_error = NULL`
    : await tx.$executeRaw`
        INSERT INTO webhook_delivery (id, endpoint_id, event_row_id, event_id, event_type, owner, sequence, subject, status, next_attempt_at)
        VALUES (${randomUUID()}::uuid, ${endpointId}::uuid, ${event.id}::uuid, ${event.eventId}, ${event.type}, ${event.owner},
          ${event.sequence.toString()}::bigint, ${event.subject}, 'PENDING', ${now})
        ON CONFLICT (endpoint_id, event_row_id) DO NOTHING`;
  return changed > 0;
}
