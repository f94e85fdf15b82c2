import type { GraphQLResolveInfo } from 'graphql';
import { notFound } from '@car-check/service-kit';
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
import { createCostCenterInput, updateCostCenterInput } from '../validation';

type Tx = Parameters<Parameters<Context['prisma']['$transaction']>[0]>[0];

/**
 * Every cost-center write is one transaction with its audit record, and with the client's
 * Idempotency-Key when it sent one (a retry then returns the first result).
 */
const write = (context: Context, info: GraphQLResolveInfo, args: unknown): AuditedWrite<Tx> => {
  const transaction: InTransaction<Tx> = (work) => context.prisma.$transaction(work);
  return auditedWriteOf({ entity: 'CostCenter', transaction, context, info, args });
};

export const Mutation: MutationResolvers = {
  createCostCenter: async (_parent, { input }, context, info) => {
    const data = validate(createCostCenterInput, input, 'input');
    await context.checks.assertUserExists(data.managerId, context.requestId);
    return auditedCreate(write(context, info, { input }), (tx) => tx.costCenter.create({ data }));
  },

  updateCostCenter: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateCostCenterInput, args.input, 'input');
    if (changes.managerId) await context.checks.assertUserExists(changes.managerId, context.requestId);
    return auditedUpdate(write(context, info, args), {
      id,
      expectedRevision,
      sets: changes,
      read: (tx) => tx.costCenter.findUnique({ where: { id } }),
      updateWhere: async (tx, revision) =>
        (await tx.costCenter.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } }))
          .count,
    });
  },

  deleteCostCenter: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    // Unknown ids are NOT_FOUND before we ask another service anything.
    if (!(await context.loaders.costCenterById.load(id))) throw notFound('CostCenter', id);
    await context.checks.assertHasNoCars(id, context.requestId);
    return auditedDelete(write(context, info, args), {
      id,
      read: (tx) => tx.costCenter.findUnique({ where: { id } }),
      delete: (tx) => tx.costCenter.delete({ where: { id } }),
    });
  },
};
