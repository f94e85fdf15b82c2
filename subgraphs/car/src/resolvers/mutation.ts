import type { GraphQLResolveInfo } from 'graphql';
import {
  auditedCreate,
  auditedDelete,
  auditedUpdate,
  type AuditedWrite,
  type InTransaction,
  auditedWriteOf,
  parseId,
  validate,
} from '@car-check/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { createCarInput, updateCarInput } from '../validation';

type Tx = Parameters<Parameters<Context['prisma']['$transaction']>[0]>[0];

/**
 * Every car write is one transaction with its audit record, and with the client's
 * Idempotency-Key when it sent one (a retry then returns the first result).
 */
const write = (context: Context, info: GraphQLResolveInfo, args: unknown): AuditedWrite<Tx> => {
  const transaction: InTransaction<Tx> = (work) => context.prisma.$transaction(work);
  return auditedWriteOf({ entity: 'Car', transaction, context, info, args });
};

export const Mutation: MutationResolvers = {
  createCar: async (_parent, { input }, context, info) => {
    const data = validate(createCarInput, input, 'input');
    await context.costCenters.assertExists(data.costCenterId, context.requestId);
    return auditedCreate(write(context, info, { input }), (tx) => tx.car.create({ data }));
  },

  updateCar: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateCarInput, args.input, 'input');
    if (changes.costCenterId) await context.costCenters.assertExists(changes.costCenterId, context.requestId);
    return auditedUpdate(write(context, info, args), {
      id,
      expectedRevision,
      sets: changes,
      read: (tx) => tx.car.findUnique({ where: { id } }),
      updateWhere: async (tx, revision) =>
        (await tx.car.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } })).count,
    });
  },

  deleteCar: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    return auditedDelete(write(context, info, args), {
      id,
      read: (tx) => tx.car.findUnique({ where: { id } }),
      delete: (tx) => tx.car.delete({ where: { id } }),
    });
  },
};
