import { compositeLoader } from '../graphql/loaders';
import { toConnection, type Connection, type PageRequest, type SortOrder } from '../graphql/pagination';
import type { FieldChange } from './record';

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

interface HistoryKey {
  entityId: string;
  page: PageRequest;
}

/**
 * Per-request loader of entities' histories: one windowed query and one
 * grouped count per page shape, however many entities are listed.
 */
export function historyLoader(db: AuditReader) {
  return compositeLoader<HistoryKey, Connection<AuditEventRow>>(
    async (keys) => {
      const shapes = new Map<string, HistoryKey[]>();
      for (const key of keys) shapes.set(JSON.stringify(key.page), [...(shapes.get(JSON.stringify(key.page)) ?? []), key]);
      const results = new Map<HistoryKey, Connection<AuditEventRow>>();
      for (const group of shapes.values()) {
        const page = group[0]!.page;
        const ids = group.map((key) => key.entityId);
        const afterAt = page.after ? new Date(page.after.key) : null;
        const [rows, counts] = await Promise.all([
          db.$queryRaw<(AuditEventRow & { entityId: string })[]>`
            SELECT id, action, actor_id AS "actorId", request_id AS "requestId", at, changes, entity_id AS "entityId"
            FROM (
              SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.entity_id ORDER BY a.at DESC, a.id DESC) AS position
              FROM audit_event a
              WHERE a.entity_id = ANY(${ids}::uuid[])
                AND (${afterAt}::timestamptz IS NULL OR (a.at, a.id) < (${afterAt}::timestamptz, ${page.after?.id ?? null}::uuid))
            ) ranked
            WHERE position <= ${page.first + 1}
            ORDER BY at DESC, id DESC`,
          db.$queryRaw<{ entityId: string; total: number }[]>`
            SELECT entity_id AS "entityId", count(*)::int AS total FROM audit_event
            WHERE entity_id = ANY(${ids}::uuid[]) GROUP BY entity_id`,
        ]);
        for (const key of group) {
          const own = rows.filter((row) => row.entityId === key.entityId);
          const total = counts.find((count) => count.entityId === key.entityId)?.total ?? 0;
          results.set(key, toConnection(own, page, NEWEST_FIRST, total));
        }
      }
      return keys.map((key) => results.get(key)!);
    },
    (key) => JSON.stringify([key.entityId, key.page]),
  );
}
