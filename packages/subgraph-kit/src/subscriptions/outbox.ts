import { EVENT_CATALOG, readEventPage, type CloudEvent, type EventFeedReader } from '@car-check/events';
import type { ChangeKind, EntityChange } from './change';
import { encodeStreamCursor } from './cursor';

/** Whether a cursor's position can be replayed from (see {@link ChangeSource.check}). */
export type PositionCheck = 'ok' | 'future' | 'unknown' | 'expired';

/** A subgraph's committed changes in commit order: its outbox, as the subscriptions read it. */
export interface ChangeSource {
  /** The changes after `after`, oldest first, at most `limit`; `next` is where the next page starts. */
  page(after: bigint, limit: number): Promise<{ changes: EntityChange[]; next: bigint }>;
  /** The newest position of the outbox (0 when empty): live delivery starts after it. */
  newest(): Promise<bigint>;
  /**
   * Whether every change of `entity` after `after` is still retained: `after` names a row
   * of the outbox (`unknown` otherwise), is not beyond its newest (`future`), and the first
   * change after it is at most `windowMs` old (`expired` otherwise; none is fine).
   */
  check(after: bigint, entity: string, windowMs: number): Promise<PositionCheck>;
}

const KIND_OF_ACTION: Record<string, ChangeKind> = { CREATE: 'CREATED', UPDATE: 'UPDATED', DELETE: 'DELETED' };
const ENTITY_OF_TYPE = new Map(EVENT_CATALOG.map((definition) => [definition.type, definition]));

/** A CloudEvent of the feed as a subscription delivers it. */
export function changeOfEvent(subgraph: string, event: CloudEvent): EntityChange {
  const definition = ENTITY_OF_TYPE.get(event.type);
  if (!definition) throw new Error(`event type ${event.type} is not in the catalog`);
  const sequence = BigInt(event.sequence);
  return {
    kind: KIND_OF_ACTION[definition.action]!,
    // Audit records older than revisions have none; no event the replay window reaches does.
    revision: event.data.revision ?? 0,
    changedFields: event.data.changes.map((change) => change.field),
    cursor: encodeStreamCursor(subgraph, sequence),
    entityId: event.subject,
    entity: definition.entity,
    sequence,
    changes: event.data.changes,
  };
}

/**
 * The outbox of `subgraph` (its `audit_event` table) as a source of changes: the same
 * pages as its event feed (readEventPage: sequence order is commit order), the same
 * values (secrets never leave), with a subscription cursor on each.
 */
export function outboxChangeSource(db: EventFeedReader, subgraph: string): ChangeSource {
  return {
    async page(after, limit) {
      const page = await readEventPage(db, subgraph, after, limit);
      const changes = page.events.map((event) => changeOfEvent(subgraph, event));
      // `next` is a JavaScript number there; the last change's own sequence is exact.
      const last = changes.at(-1)?.sequence;
      return { changes, next: last ?? after };
    },
    async newest() {
      const [row] = await db.$queryRaw<{ newest: bigint | number | string | null }[]>`
        SELECT MAX(sequence) AS newest FROM audit_event`;
      return BigInt(row?.newest ?? 0);
    },
    async check(after, entity, windowMs) {
      // The database's clock, the one that stamped `at`: no skew between instances.
      const [row] = await db.$queryRaw<{ newest: bigint | number | string | null; known: boolean; expired: boolean }[]>`
        SELECT (SELECT MAX(sequence) FROM audit_event) AS newest,
               EXISTS (SELECT 1 FROM audit_event WHERE sequence = ${after.toString()}::bigint) AS known,
               COALESCE((
                 SELECT at < now() - make_interval(secs => ${windowMs / 1000}::double precision)
                 FROM audit_event
                 WHERE sequence > ${after.toString()}::bigint AND entity = ${entity}
                   AND action IN ('CREATE', 'UPDATE', 'DELETE')
                 ORDER BY sequence
                 LIMIT 1
               ), false) AS expired`;
      if (!row) return 'unknown';
      if (after > BigInt(row.newest ?? 0)) return 'future';
      if (!row.known) return 'unknown';
      return row.expired ? 'expired' : 'ok';
    },
  };
}
