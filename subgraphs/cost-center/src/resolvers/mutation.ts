import { notFound } from '@car-check/service-kit';
import { auditedEntity, parseId, validate } from '@car-check/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { createCostCenterInput, updateCostCenterInput } from '../validation';

/** Cost-center writes: each one transaction with its audit record, its event and the client's Idempotency-Key. */
const costCenters = auditedEntity({
  entity: 'CostCenter',
  prisma: (context: Context) => context.prisma,
  model: (tx) => tx.costCenter,
});

export const Mutation: MutationResolvers = {
  createCostCenter: async (_parent, { input }, context, info) => {
    const data = validate(createCostCenterInput, input, 'input');
    await context.checks.assertUserExists(data.managerId, context.requestId);
    return costCenters.create(costCenters.write(context, info, { input }), (tx) => tx.costCenter.create({ data }));
  },

  updateCostCenter: async (_parent, args, context, info) => {
    const { expectedRevision, ...sets } = validate(updateCostCenterInput, args.input, 'input');
    if (sets.managerId) await context.checks.assertUserExists(sets.managerId, context.requestId);
    return costCenters.update(costCenters.write(context, info, args), { id: parseId(args.id), expectedRevision, sets });
  },

  deleteCostCenter: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    // Unknown ids are NOT_FOUND before we ask another service anything.
    if (!(await context.loaders.costCenterById.load(id))) throw notFound('CostCenter', id);
    await context.checks.assertHasNoCars(id, context.requestId);
    return costCenters.delete(costCenters.write(context, info, args), id);
  },
};
