import { auditedCreate, auditedDelete, auditedUpdate, type AuditedWrite } from '../../../../common/audit/mutations';
import { notFound } from '../../../../common/errors';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { createCostCenterInput, updateCostCenterInput } from '../validation';

type Tx = Parameters<Parameters<Context['prisma']['$transaction']>[0]>[0];

/** Every cost-center write is one transaction with its audit record. */
const write = ({ prisma, caller, requestId }: Context): AuditedWrite<Tx> => ({
  entity: 'CostCenter',
  transaction: (work) => prisma.$transaction(work),
  caller,
  requestId,
});

export const Mutation: MutationResolvers = {
  createCostCenter: async (_parent, { input }, context) => {
    const data = validate(createCostCenterInput, input, 'input');
    await context.checks.assertUserExists(data.managerId, context.requestId);
    return auditedCreate(write(context), (tx) => tx.costCenter.create({ data }));
  },

  updateCostCenter: async (_parent, args, context) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateCostCenterInput, args.input, 'input');
    if (changes.managerId) await context.checks.assertUserExists(changes.managerId, context.requestId);
    return auditedUpdate(write(context), {
      id,
      expectedRevision,
      read: (tx) => tx.costCenter.findUnique({ where: { id } }),
      updateWhere: async (tx, revision) =>
        (await tx.costCenter.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } })).count,
    });
  },

  deleteCostCenter: async (_parent, args, context) => {
    const id = parseId(args.id);
    // Unknown ids are NOT_FOUND before we ask another service anything.
    if (!(await context.loaders.costCenterById.load(id))) throw notFound('CostCenter', id);
    await context.checks.assertHasNoCars(id, context.requestId);
    return auditedDelete(write(context), {
      id,
      read: (tx) => tx.costCenter.findUnique({ where: { id } }),
      delete: (tx) => tx.costCenter.delete({ where: { id } }),
    });
  },
};
