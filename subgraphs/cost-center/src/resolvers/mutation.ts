import { withDatabaseErrors } from '../../../../common/errors/database';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createCostCenterInput, updateCostCenterInput } from '../validation';

export const Mutation: MutationResolvers = {
  createCostCenter: async (_parent, { input }, { prisma }) => {
    const data = validate(createCostCenterInput, input, 'input');
    return withDatabaseErrors('CostCenter', () => prisma.costCenter.create({ data }));
  },

  updateCostCenter: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    const data = validate(updateCostCenterInput, args.input, 'input');
    return withDatabaseErrors('CostCenter', () =>
      prisma.costCenter.update({ where: { id }, data: { ...data, revision: { increment: 1 } } }),
    );
  },

  deleteCostCenter: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    await withDatabaseErrors('CostCenter', () => prisma.costCenter.delete({ where: { id }, select: { id: true } }));
    return id;
  },
};
