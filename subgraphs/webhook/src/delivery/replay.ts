import type { CloudEvent, ConsumerSql } from '@car-check/events';
import { queueDelivery } from './ingest';
import { matches, type Subscription } from './matching';

/** Events one replay may queue again: a larger range is refused (split it). */
export const REPLAY_MAX_EVENTS = 10_000;

export type ReplayRange = { owner: string; fromSequence: bigint; toSequence: bigint } | { from: Date; to: Date };

interface LoggedRow {
  id: string;
  owner: string;
  sequence: string;
  event_id: string;
  type: string;
  subject: string;
  event: CloudEvent;
}

/**
 * Queues the logged events of a range to an endpoint again, those its subscription
 * matches today, in event order. A delivery that exists is reset (same `webhook-id`,
 * fresh retry schedule); one that never existed is created. Returns how many were
 * queued, or null when the range holds more than REPLAY_MAX_EVENTS events.
 */
export async function replayRange(
  tx: ConsumerSql,
  endpoint: { id: string } & Subscription,
  range: ReplayRange,
  now: Date,
): Promise<number | null> {
  const limit = REPLAY_MAX_EVENTS + 1;
  const rows =
    'owner' in range
      ? await tx.$queryRaw<LoggedRow[]>`
          SELECT id::text AS id, owner, sequence::text AS sequence, event_id, type, subject, event FROM webhook_event
          WHERE owner = ${range.owner} AND sequence BETWEEN ${range.fromSequence.toString()}::bigint AND ${range.toSequence.toString()}::bigint
          ORDER BY sequence LIMIT ${limit}`
      : await tx.$queryRaw<LoggedRow[]>`
          SELECT id::text AS id, owner, sequence::text AS sequence, event_id, type, subject, event FROM webhook_event
          WHERE time >= ${range.from} AND time < ${range.to} AND owner <> 'webhook'
          ORDER BY time, owner, sequence LIMIT ${limit}`;
  if (rows.length > REPLAY_MAX_EVENTS) return null;
  let queued = 0;
  for (const row of rows) {
    if (!matches(endpoint, row.event)) continue;
    const event = {
      id: row.id,
      owner: row.owner,
      sequence: BigInt(row.sequence),
      eventId: row.event_id,
      type: row.type,
      subject: row.subject,
    };
    if (await queueDelivery(tx, endpoint.id, event, now, { again: true })) queued += 1;
  }
  return queued;
}
