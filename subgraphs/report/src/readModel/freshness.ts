import type { ConsumerSql, ConsumerStatus } from '@car-check/events';
import { EVENT_OWNERS } from '../config';
import { consumerName } from './consumers';
import type { FeedPositionModel, FreshnessModel } from './reportTypes';

/** What the freshness needs of a running consumer. */
export interface StatusSource {
  status(): ConsumerStatus;
}

/**
 * When a consumer last knew it had all its owner had published: attached to its queue with
 * nothing pending (broker mode: the broker pushes each event as it is published) is now;
 * otherwise the last poll of the feed that found nothing new.
 */
function caughtUpAt(status: ConsumerStatus | undefined, now: Date): Date | null {
  if (!status) return null;
  if (status.mode === 'amqp' && status.connected && status.lagSeconds === 0) return now;
  return status.caughtUpAt ? new Date(status.caughtUpAt) : null;
}

/**
 * How fresh the figures are: per owner, the cursor (the last sequence applied, saved with the read
 * model) and its event's time, and when its consumer was last caught up; the figures include every
 * change committed before the earliest of those instants.
 */
export async function freshnessOf(
  db: ConsumerSql,
  consumers: Record<string, StatusSource>,
  now = new Date(),
): Promise<FreshnessModel> {
  const owners = [...EVENT_OWNERS];
  const rows = await db.$queryRaw<{ owner: string; position: string | null; time: Date | null }[]>`
    SELECT o.owner, c.position::text AS position,
      (SELECT e.time FROM report_event e WHERE e.owner = o.owner AND e.sequence <= c.position
        ORDER BY e.sequence DESC LIMIT 1) AS time
    FROM unnest(${owners}::text[], ${owners.map(consumerName)}::text[]) AS o(owner, consumer)
    LEFT JOIN event_cursor c ON c.consumer = o.consumer`;
  const positions: FeedPositionModel[] = owners.map((owner) => {
    const row = rows.find((candidate) => candidate.owner === owner);
    const sequence = row?.position && row.position !== '0' ? Number(row.position) : null;
    return {
      owner,
      sequence,
      eventTime: sequence !== null && row?.time ? new Date(row.time) : null,
      caughtUpAt: caughtUpAt(consumers[consumerName(owner)]?.status(), now),
    };
  });
  const instants = positions.map((position) => position.caughtUpAt);
  const asOf = instants.every((instant): instant is Date => instant !== null)
    ? new Date(Math.min(...instants.map((instant) => instant.getTime())))
    : null;
  return {
    asOf,
    lagSeconds: asOf === null ? null : Math.max(0, (now.getTime() - asOf.getTime()) / 1000),
    positions,
  };
}
