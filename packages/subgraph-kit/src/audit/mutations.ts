import type { GraphQLResolveInfo } from 'graphql';
import { type CallerIdentity, notFound } from '@car-check/service-kit';
import { optimisticUpdate } from '../db/optimisticUpdate';
import { outboxWritten, diffChanges, recordAudit, type AuditWriter, type DiffOptions } from '@car-check/events';
import { withDatabaseErrors } from '../errors/database';
import { remember, replayed, type Idempotency } from './idempotency';

/** Runs `work` in one database transaction (a subgraph's `prisma.$transaction`). */
export type InTransaction<TX> = <R>(work: (tx: TX) => Promise<R>) => Promise<R>;

export interface AuditedWrite<TX extends AuditWriter> {
  entity: string;
  transaction: InTransaction<TX>;
  caller: CallerIdentity;
  requestId: string;
  /** The client's own request id (RequestInfo.clientRequestId), stored apart from `requestId`. */
  clientRequestId?: string;
  /** The request's trace id (RequestInfo.traceId), stored with the audit record and its event. */
  traceId?: string;
  diff?: DiffOptions;
  /** Set when the client named this write with an Idempotency-Key: a retry gets the first result back. */
  idempotency?: Idempotency;
}

/**
 * The idempotency of one mutation field: the request's key (if the client
 * sent one), scoped to the field and its alias, with the field's arguments as
 * what must not change between retries.
 */
export function idempotencyOf(
  context: { caller: CallerIdentity; idempotency: { key: string; ttlSeconds: number } | null },
  info: Pick<GraphQLResolveInfo, 'fieldName' | 'path'>,
  request: unknown,
): Idempotency | undefined {
  if (!context.idempotency) return undefined;
  const { key, ttlSeconds } = context.idempotency;
  return { key, ttlSeconds, scope: `${info.fieldName}:${String(info.path.key)}`, request, caller: context.caller };
}

/** What a mutation's request context says about the request, for its audit record and idempotency. */
export interface WriteRequestContext {
  caller: CallerIdentity;
  requestId: string;
  clientRequestId?: string;
  traceId?: string;
  idempotency: { key: string; ttlSeconds: number } | null;
}

/**
 * The audited write of one mutation resolver: its entity, the subgraph's transaction, and
 * the request (`args` as the resolver got them, for the Idempotency-Key's check).
 */
export function auditedWriteOf<TX extends AuditWriter>(write: {
  entity: string;
  transaction: InTransaction<TX>;
  context: WriteRequestContext;
  info: Pick<GraphQLResolveInfo, 'fieldName' | 'path'>;
  args: unknown;
  diff?: DiffOptions;
}): AuditedWrite<TX> {
  const { entity, transaction, context, info, args, diff } = write;
  return {
    entity,
    transaction,
    caller: context.caller,
    requestId: context.requestId,
    clientRequestId: context.clientRequestId,
    traceId: context.traceId,
    ...(diff ? { diff } : {}),
    idempotency: idempotencyOf(context, info, args),
  };
}

/** Another request with the same Idempotency-Key committed first. */
class KeyTaken extends Error {}

/**
 * Runs one write in one transaction; with an Idempotency-Key, at most once:
 * a retry (even after the answer was lost) returns the result stored with
 * the first write, and writes nothing.
 */
function once<TX extends AuditWriter, R>(write: AuditedWrite<TX>, work: (tx: TX) => Promise<R>): Promise<R> {
  // Once committed, an event row may wait in the outbox: the relay, if any, looks now.
  return inOneTransaction(write, work).then((result) => {
    outboxWritten();
    return result;
  });
}

function inOneTransaction<TX extends AuditWriter, R>(
  write: AuditedWrite<TX>,
  work: (tx: TX) => Promise<R>,
): Promise<R> {
  const idempotency = write.idempotency;
  if (!idempotency) return write.transaction(work);
  const attempt = () =>
    write.transaction(async (tx) => {
      const earlier = await replayed<R>(tx, idempotency);
      if (earlier) return earlier.result;
      const result = await work(tx);
      if (!(await remember(tx, idempotency, withoutFields(result, write.diff?.secret ?? [])))) throw new KeyTaken();
      return result;
    });
  return attempt().catch((error: unknown) => {
    if (error instanceof KeyTaken) return attempt();
    throw error;
  });
}

type Row = { id: string } & Record<string, unknown>;

/** Creates a row and its CREATE audit record in one transaction. */
export function auditedCreate<TX extends AuditWriter, T extends Row & { revision?: number }>(
  write: AuditedWrite<TX>,
  create: (tx: TX) => Promise<T>,
): Promise<T> {
  return withDatabaseErrors(write.entity, () =>
    once(write, async (tx) => {
      const row = await create(tx);
      await recordAudit(tx, {
        ...auditOf(write),
        entityId: row.id,
        action: 'CREATE',
        revision: row.revision ?? null,
        changes: diffChanges(null, row, write.diff),
      });
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
    /** The fields the update sets: when the row already holds them all, nothing is written. */
    sets?: Record<string, unknown>;
    after?(tx: TX, row: T): Promise<void>;
  },
): Promise<T> {
  return withDatabaseErrors(write.entity, () =>
    once(write, async (tx) => {
      const { before, after, changed } = await optimisticUpdate({
        entity: write.entity,
        id: update.id,
        expectedRevision: update.expectedRevision,
        read: () => update.read(tx),
        updateWhere: (revision) => update.updateWhere(tx, revision),
        unchanged: update.sets && !update.extraChanges?.length ? (row) => holdsAll(row, update.sets!) : undefined,
      });
      // A change to nothing is no change: no new revision, no audit record.
      if (!changed) return after;
      const changes = [...diffChanges(before, after, write.diff), ...(update.extraChanges ?? [])];
      await recordAudit(tx, {
        ...auditOf(write),
        entityId: update.id,
        action: 'UPDATE',
        revision: after.revision,
        changes,
      });
      await update.after?.(tx, after);
      return after;
    }),
  );
}

/** Deletes a row and records what it held, in one transaction. */
export function auditedDelete<TX extends AuditWriter, T extends Row & { revision?: number }>(
  write: AuditedWrite<TX>,
  remove: { id: string; read(tx: TX): Promise<T | null>; delete(tx: TX): Promise<unknown> },
): Promise<string> {
  return withDatabaseErrors(write.entity, () =>
    once(write, async (tx) => {
      const before = await remove.read(tx);
      if (!before) throw notFound(write.entity, remove.id);
      await remove.delete(tx);
      // A deletion is the entity's last revision: one past the last it had, so a reader that
      // keeps the highest revision it applied never lets an older event undo it.
      await recordAudit(tx, {
        ...auditOf(write),
        entityId: remove.id,
        action: 'DELETE',
        revision: before.revision === undefined ? null : before.revision + 1,
        changes: diffChanges(before, null, write.diff),
      });
      return remove.id;
    }),
  );
}

/** The result as stored for a retry: without secret fields (a password hash stays in its own table). */
function withoutFields(result: unknown, fields: string[]): unknown {
  if (fields.length === 0 || !result || typeof result !== 'object') return result;
  return Object.fromEntries(Object.entries(result).filter(([field]) => !fields.includes(field)));
}

/** Whether every field the update sets already has that value. */
function holdsAll(row: Record<string, unknown>, sets: Record<string, unknown>): boolean {
  return Object.entries(sets).every(
    ([field, value]) => value === undefined || JSON.stringify(row[field]) === JSON.stringify(value),
  );
}

function auditOf(write: AuditedWrite<AuditWriter>) {
  return {
    entity: write.entity,
    caller: write.caller,
    requestId: write.requestId,
    clientRequestId: write.clientRequestId ?? null,
    traceId: write.traceId ?? null,
  };
}
