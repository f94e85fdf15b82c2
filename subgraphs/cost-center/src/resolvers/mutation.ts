import { optimisticUpdate } from '../../../../common/db/optimisticUpdate';
import { notFound } from '../../../../common/errors';
import { withDatabaseErrors } from '../../../../common/errors/database';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createCostCenterInput, updateCostCenterInput } from '../validation';

export const Mutation: MutationResolvers = {
  createCostCenter: async (_parent, { input }, { prisma, checks, requestId }) => {
    const data = validate(createCostCenterInput, input, 'input');
    await checks.assertUserExists(data.managerId, requestId);
    return withDatabaseErrors('CostCenter', () => prisma.costCenter.create({ data }));
  },

  updateCostCenter: async (_parent, args, { prisma, checks, requestId }) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateCostCenterInput, args.input, 'input');
    if (changes.managerId) await checks.assertUserExists(changes.managerId, requestId);
    return withDatabaseErrors('CostCenter', () =>
      prisma.$transaction((tx) =>
        optimisticUpdate({
          entity: 'CostCenter',
          id,
          expectedRevision,
          updateWhere: async (revision) =>
            (await tx.costCenter.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } }))
              .count,
          read: () => tx.costCenter.findUnique({ where: { id } }),
        }),
      ),
    );
  },

  deleteCostCenter: async (_parent, args, { prisma, loaders, checks, requestId }) => {
    const id = parseId(args.id);
    // Unknown ids are NOT_FOUND before we ask another service anything.
    if (!(await loaders.costCenterById.load(id))) throw notFound('CostCenter', id);
    await checks.assertHasNoCars(id, requestId);
    await withDatabaseErrors('CostCenter', () => prisma.costCenter.delete({ where: { id }, select: { id: true } }));
    return id;
  },
};
