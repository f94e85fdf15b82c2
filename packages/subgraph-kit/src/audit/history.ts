import { childPageLoader } from '../graphql/loaders';
import type { SortOrder } from '../graphql/pagination';
import type { FieldChange } from '@car-check/events';

/** An audit record as the graph returns it (newest first). */
export interface AuditEventRow {
  id: string;
  action: string;
  actorId: string | null;
  requestId: string;
  at: Date;
  changes: FieldChange[];
}

/** History is newest first; ties (same millisecond) are broken by id. */
export const NEWEST_FIRST: SortOrder<'at'> = { field: 'at', direction: 'desc', type: 'date' };

/** Any Prisma client: every subgraph has the same `audit_event` table. */
export interface AuditReader {
  $queryRaw<T>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

/**
 * Per-request loader of entities' histories: one windowed query and one
 * grouped count per page shape, however many entities are listed.
 */
export function historyLoader(db: AuditReader) {
  return childPageLoader<AuditEventRow & { entityId: string }>({
    order: NEWEST_FIRST,
    rows: async (ids, page) => {
      const afterAt = page.after ? new Date(page.after.key) : null;
      return db.$queryRaw<(AuditEventRow & { entityId: string })[]>`
        SELECT id, action, actor_id AS "actorId", request_id AS "requestId", at, changes, entity_id AS "entityId"
        FROM (
          SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.entity_id ORDER BY a.at DESC, a.id DESC) AS position
          FROM audit_event a
          WHERE a.entity_id = ANY(${ids}::uuid[])
            AND (${afterAt}::timestamptz IS NULL OR (a.at, a.id) < (${afterAt}::timestamptz, ${page.after?.id ?? null}::uuid))
        ) ranked
        WHERE position <= ${page.first + 1}
        ORDER BY at DESC, id DESC`;
    },
    counts: async (ids) => {
      const counts = await db.$queryRaw<{ entityId: string; total: number }[]>`
        SELECT entity_id AS "entityId", count(*)::int AS total FROM audit_event
        WHERE entity_id = ANY(${ids}::uuid[]) GROUP BY entity_id`;
      return new Map(counts.map((count) => [count.entityId, count.total]));
    },
    parentOf: (row) => row.entityId,
  });
}
