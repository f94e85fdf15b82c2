import { graphError, notFound } from '../errors';

export interface OptimisticUpdate<T> {
  entity: string;
  id: string;
  /** The revision the client read; null/undefined for a last-writer-wins update. */
  expectedRevision: number | null | undefined;
  /**
   * Applies the change to the row with this id (and this revision, when given),
   * bumping its revision; resolves to the number of rows changed (0 or 1).
   */
  updateWhere(revision: number | undefined): Promise<number>;
  read(): Promise<T | null>;
}

/**
 * Optimistic concurrency in one conditional UPDATE: the revision check and the
 * write are a single statement, so of several writers holding the same
 * revision exactly one wins and the rest get ABORTED, with nothing written.
 * Run it inside a transaction so the row read back is the one just written.
 */
export async function optimisticUpdate<T extends { revision: number }>(update: OptimisticUpdate<T>): Promise<T> {
  const changed = await update.updateWhere(update.expectedRevision ?? undefined);
  const row = await update.read();
  if (!row) throw notFound(update.entity, update.id);
  if (changed === 0) {
    throw graphError(
      'ABORTED',
      `${update.entity} ${update.id} is at revision ${row.revision}, not ${update.expectedRevision}: re-read it and retry.`,
      { entity: update.entity, id: update.id, expectedRevision: update.expectedRevision, currentRevision: row.revision },
    );
  }
  return row;
}
