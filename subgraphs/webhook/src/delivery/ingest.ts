import { randomUUID } from 'node:crypto';
import { type CloudEvent, type ConsumerSql, sequenceOf } from '@car-check/events';
import { costCentersOf, filtersByCostCenter, matches, type EventContext, type Subscription } from './matching';

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
  const subscriptions: [string, Subscription][] = endpoints.map((endpoint) => [
    endpoint.id,
    { eventTypes: endpoint.event_types, costCenterIds: endpoint.cost_center_ids, societyNames: endpoint.society_names },
  ]);
  const context = subscriptions.some(([, subscription]) => filtersByCostCenter(subscription))
    ? await entityContext(tx, owner, event, sequence)
    : undefined;
  const wanted = subscriptions
    .filter(([, subscription]) => matches(subscription, event, context))
    .map(([id]) => ({ id }));
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

/**
 * What the log of earlier events says about this event's entity, for the cost-center and society
 * filters: a car update that leaves its cost center alone does not name it, nor does a cost-center
 * update its society. The last value logged before this event stands in. (The log holds every
 * event of the owners since their feeds began, seeded data included.)
 */
async function entityContext(
  tx: ConsumerSql,
  owner: string,
  event: CloudEvent,
  sequence: bigint,
): Promise<EventContext> {
  const lastValue = async (entityOwner: string, subject: string, field: string, before: bigint | null) => {
    const rows = await tx.$queryRaw<{ value: string | null }[]>`
      SELECT change->>'to' AS value
      FROM webhook_event e, jsonb_array_elements(e.event->'data'->'changes') AS change
      WHERE e.owner = ${entityOwner} AND e.subject = ${subject} AND change->>'field' = ${field}
        AND (${before?.toString() ?? null}::bigint IS NULL OR e.sequence < ${before?.toString() ?? null}::bigint)
      ORDER BY e.sequence DESC
      LIMIT 1`;
    return rows[0]?.value ?? null;
  };
  const costCenterIds: string[] = [];
  if (owner === 'car') {
    const known = await lastValue('car', event.subject, 'costCenterId', sequence);
    if (known) costCenterIds.push(known);
  }
  const societyNames: string[] = [];
  for (const costCenterId of new Set([...costCentersOf(event), ...costCenterIds])) {
    // A cost center's own events come before this one in its owner's sequence, or from another owner's feed.
    const name = await lastValue('cost-center', costCenterId, 'societyName', owner === 'cost-center' ? sequence : null);
    if (name) societyNames.push(name);
  }
  return { costCenterIds, societyNames };
}
