import { graphError, notFound } from '@car-check/service-kit';

export interface OptimisticUpdate<T> {
  entity: string;
  id: string;
  /** The revision the client read; null/undefined for a last-writer-wins update. */
  expectedRevision: number | null | undefined;
  /**
   * Applies the change to the row with this id and revision, bumping its
   * revision; resolves to the number of rows changed (0 or 1).
   */
  updateWhere(revision: number): Promise<number>;
  read(): Promise<T | null>;
  /** When it says the row already is as asked, nothing is written (and `changed` is false). */
  unchanged?(row: T): boolean;
}

// A last-writer-wins update that keeps losing races gives up rather than spin.
const MAX_ATTEMPTS = 5;

/**
 * Optimistic concurrency with one conditional UPDATE (`WHERE id = $1 AND
 * revision = $2`): of several writers holding the same revision exactly one
 * wins and the others get ABORTED, with nothing written. Without an expected
 * revision the update still targets the revision it just read (retrying if
 * another write slipped in), so `before` and `after` are exactly this write's
 * two sides, which is what the audit trail records. Run it in a transaction.
 */
export async function optimisticUpdate<T extends { revision: number }>(
  update: OptimisticUpdate<T>,
): Promise<{ before: T; after: T; changed: boolean }> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const before = await update.read();
    if (!before) throw notFound(update.entity, update.id);
    const expected = update.expectedRevision ?? before.revision;
    if (expected === before.revision && update.unchanged?.(before)) return { before, after: before, changed: false };
    const changed = expected === before.revision ? await update.updateWhere(expected) : 0;
    if (changed === 1) return { before, after: (await update.read())!, changed: true };
    if (update.expectedRevision != null) {
      const current = (await update.read()) ?? before;
      throw graphError(
        'ABORTED',
        `${update.entity} ${update.id} is at revision ${current.revision}, not ${update.expectedRevision}: re-read it and retry.`,
        {
          entity: update.entity,
          id: update.id,
          expectedRevision: update.expectedRevision,
          currentRevision: current.revision,
        },
      );
    }
  }
  throw graphError('ABORTED', `${update.entity} ${update.id} kept changing concurrently; retry.`, {
    entity: update.entity,
    id: update.id,
  });
}
