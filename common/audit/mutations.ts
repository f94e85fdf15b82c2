import type { CallerIdentity } from '../auth/identity';
import { optimisticUpdate } from '../db/optimisticUpdate';
import { notFound } from '../errors';
import { withDatabaseErrors } from '../errors/database';
import { diffChanges, recordAudit, type AuditWriter, type DiffOptions } from './record';

/** Runs `work` in one database transaction (a subgraph's `prisma.$transaction`). */
export type InTransaction<TX> = <R>(work: (tx: TX) => Promise<R>) => Promise<R>;

export interface AuditedWrite<TX extends AuditWriter> {
  entity: string;
  transaction: InTransaction<TX>;
  caller: CallerIdentity;
  requestId: string;
  diff?: DiffOptions;
}

type Row = { id: string } & Record<string, unknown>;

/** Creates a row and its CREATE audit record in one transaction. */
export function auditedCreate<TX extends AuditWriter, T extends Row>(write: AuditedWrite<TX>, create: (tx: TX) => Promise<T>): Promise<T> {
  return withDatabaseErrors(write.entity, () =>
    write.transaction(async (tx) => {
      const row = await create(tx);
      await recordAudit(tx, { ...auditOf(write), entityId: row.id, action: 'CREATE', changes: diffChanges(null, row, write.diff) });
      return row;
    }),
  );
}

/**
 * Updates a row (optimistic concurrency, see optimisticUpdate) and records
 * exactly what changed, in one transaction. `extraChanges` adds facts the row
 * cannot show (e.g. that a password changed, without its value).
 */
export function auditedUpdate<TX extends AuditWriter, T extends Row & { revision: number }>(
  write: AuditedWrite<TX>,
  update: {
    id: string;
    expectedRevision: number | null | undefined;
    read(tx: TX): Promise<T | null>;
    updateWhere(tx: TX, revision: number): Promise<number>;
    extraChanges?: { field: string; from: string | null; to: string | null }[];
    after?(tx: TX, row: T): Promise<void>;
  },
): Promise<T> {
  return withDatabaseErrors(write.entity, () =>
    write.transaction(async (tx) => {
      const { before, after } = await optimisticUpdate({
        entity: write.entity,
        id: update.id,
        expectedRevision: update.expectedRevision,
        read: () => update.read(tx),
        updateWhere: (revision) => update.updateWhere(tx, revision),
      });
      const changes = [...diffChanges(before, after, write.diff), ...(update.extraChanges ?? [])];
      await recordAudit(tx, { ...auditOf(write), entityId: update.id, action: 'UPDATE', changes });
      await update.after?.(tx, after);
      return after;
    }),
  );
}

/** Deletes a row and records what it held, in one transaction. */
export function auditedDelete<TX extends AuditWriter, T extends Row>(
  write: AuditedWrite<TX>,
  remove: { id: string; read(tx: TX): Promise<T | null>; delete(tx: TX): Promise<unknown> },
): Promise<string> {
  return withDatabaseErrors(write.entity, () =>
    write.transaction(async (tx) => {
      const before = await remove.read(tx);
      if (!before) throw notFound(write.entity, remove.id);
      await remove.delete(tx);
      await recordAudit(tx, { ...auditOf(write), entityId: remove.id, action: 'DELETE', changes: diffChanges(before, null, write.diff) });
      return remove.id;
    }),
  );
}

function auditOf(write: AuditedWrite<AuditWriter>) {
  return { entity: write.entity, caller: write.caller, requestId: write.requestId };
}
