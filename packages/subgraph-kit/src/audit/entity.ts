import type { GraphQLResolveInfo } from 'graphql';
import type { AuditWriter, DiffOptions } from '@car-check/events';
import {
  auditedCreate,
  auditedDelete,
  auditedUpdate,
  auditedWriteOf,
  type AuditedWrite,
  type InTransaction,
  type WriteRequestContext,
} from './mutations';

/**
 * A subgraph's Prisma client, as far as the audited writes use it. Its `$transaction` is
 * overloaded (a list of queries, or a function); the last overload is the interactive one,
 * which is the one these writes run in.
 */
interface TransactionalClient {
  // Prisma's own overloads take any; what is kept of them is typed by TransactionClientOf.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  $transaction: (...args: any[]) => Promise<any>;
}

/** The client a Prisma interactive transaction hands its function (`tx`). */
export type TransactionClientOf<P extends TransactionalClient> = Parameters<Parameters<P['$transaction']>[0]>[0] &
  AuditWriter;

/** One revisioned row: its id, its revision (optimistic concurrency), its columns. */
type RevisionedRow = { id: string; revision: number } & Record<string, unknown>;

/** A Prisma model's delegate, as the audited update and delete use it: by id, and by id at a revision. */
export interface RevisionedModel<T extends RevisionedRow> {
  findUnique(args: { where: { id: string } }): Promise<T | null>;
  updateMany(args: { where: { id: string; revision: number }; data: object }): Promise<{ count: number }>;
  delete(args: { where: { id: string } }): Promise<unknown>;
}

/** What an update sets, and what it adds to its audit record and does in its transaction. */
export interface EntityUpdate<TX, T> {
  id: string;
  expectedRevision: number | null | undefined;
  /** The fields the client asked to change (audited, and compared: a no-op writes nothing). */
  sets: Record<string, unknown>;
  /** What is written when it differs from `sets` (e.g. a password's hash in place of the password). */
  data?: Record<string, unknown>;
  extraChanges?: { field: string; from: string | null; to: string | null }[];
  after?(tx: TX, row: T): Promise<void>;
}

/**
 * The audited writes of one entity a subgraph owns: each resolver says what it writes, and this
 * runs it in one transaction with its audit record, its outbox event and the client's
 * Idempotency-Key (a retry returns the first result).
 *
 * @example
 * const cars = auditedEntity({ entity: 'Car', prisma: (context: Context) => context.prisma, model: (tx) => tx.car });
 * deleteCar: (_parent, args, context, info) => cars.delete(cars.write(context, info, args), parseId(args.id)),
 */
export function auditedEntity<
  C extends WriteRequestContext,
  P extends TransactionalClient,
  T extends RevisionedRow,
>(entity: {
  entity: string;
  prisma: (context: C) => P;
  model: (tx: TransactionClientOf<P>) => RevisionedModel<T>;
  diff?: DiffOptions;
}) {
  type TX = TransactionClientOf<P>;
  const { model } = entity;
  return {
    /** The audited write of one resolver call (`args` as it got them, or with secrets masked). */
    write(context: C, info: Pick<GraphQLResolveInfo, 'fieldName' | 'path'>, args: unknown): AuditedWrite<TX> {
      const client = entity.prisma(context);
      // The interactive overload of the client's own $transaction (see TransactionalClient).
      const transaction: InTransaction<TX> = (work) => client.$transaction(work);
      return auditedWriteOf({ entity: entity.entity, transaction, context, info, args, diff: entity.diff });
    },

    create<R extends { id: string; revision?: number } & Record<string, unknown>>(
      write: AuditedWrite<TX>,
      create: (tx: TX) => Promise<R>,
    ): Promise<R> {
      return auditedCreate(write, create);
    },

    update(write: AuditedWrite<TX>, update: EntityUpdate<TX, T>): Promise<T> {
      const { id, sets, data = sets } = update;
      return auditedUpdate(write, {
        id,
        expectedRevision: update.expectedRevision,
        sets,
        read: (tx) => model(tx).findUnique({ where: { id } }),
        updateWhere: async (tx, revision) =>
          (await model(tx).updateMany({ where: { id, revision }, data: { ...data, revision: { increment: 1 } } }))
            .count,
        extraChanges: update.extraChanges,
        after: update.after,
      });
    },

    delete(write: AuditedWrite<TX>, id: string): Promise<string> {
      return auditedDelete(write, {
        id,
        read: (tx) => model(tx).findUnique({ where: { id } }),
        delete: (tx) => model(tx).delete({ where: { id } }),
      });
    },
  };
}
