import { randomInt, randomUUID } from 'node:crypto';
import { eventSource, formatSequence, type ConsumerSql } from '@car-check/events';
import { queueDelivery } from './ingest';

/** The owner name of test events in the event log (no subgraph emits them). */
export const TEST_EVENT_OWNER = 'webhook';

/**
 * Logs a `webhook.test` CloudEvent for one endpoint and queues it there, whatever the
 * endpoint's event types: an integrator checks its receiver and signature verification.
 * Returns the delivery's id.
 */
export async function queueTestEvent(tx: ConsumerSql, endpointId: string, now: Date, actorId: string | null) {
  // Test events have sequences of their own: unique, increasing with time.
  const sequence = BigInt(now.getTime()) * 1000n + BigInt(randomInt(1000));
  const rowId = randomUUID();
  const event = {
    specversion: '1.0',
    id: randomUUID(),
    source: eventSource(TEST_EVENT_OWNER),
    type: 'webhook.test',
    subject: endpointId,
    time: now.toISOString(),
    datacontenttype: 'application/json',
    sequence: formatSequence(sequence),
    data: { message: 'A test event from the car-check graph.', actorId },
  };
  await tx.$executeRaw`
    INSERT INTO webhook_event (id, owner, sequence, event_id, type, subject, time, event)
    VALUES (${rowId}::uuid, ${TEST_EVENT_OWNER}, ${sequence.toString()}::bigint, ${event.id}, ${event.type}, ${endpointId},
      ${now}, ${JSON.stringify(event)}::jsonb)`;
  await queueDelivery(
    tx,
    endpointId,
    { id: rowId, owner: TEST_EVENT_OWNER, sequence, eventId: event.id, type: event.type, subject: endpointId },
    now,
  );
  const [row] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM webhook_delivery WHERE endpoint_id = ${endpointId}::uuid AND event_row_id = ${rowId}::uuid`;
  return row!.id;
}
