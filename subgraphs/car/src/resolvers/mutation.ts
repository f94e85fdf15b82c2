import { withDatabaseErrors } from '../../../../common/errors/database';
import { optimisticUpdate } from '../../../../common/db/optimisticUpdate';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createCarInput, updateCarInput } from '../validation';

export const Mutation: MutationResolvers = {
  createCar: async (_parent, { input }, { prisma, costCenters, requestId }) => {
    const data = validate(createCarInput, input, 'input');
    await costCenters.assertExists(data.costCenterId, requestId);
    return withDatabaseErrors('Car', () => prisma.car.create({ data }));
  },

  updateCar: async (_parent, args, { prisma, costCenters, requestId }) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateCarInput, args.input, 'input');
    if (changes.costCenterId) await costCenters.assertExists(changes.costCenterId, requestId);
    return withDatabaseErrors('Car', () =>
      prisma.$transaction((tx) =>
        optimisticUpdate({
          entity: 'Car',
          id,
          expectedRevision,
          updateWhere: async (revision) =>
            (await tx.car.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } })).count,
          read: () => tx.car.findUnique({ where: { id } }),
        }),
      ),
    );
  },

  deleteCar: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    await withDatabaseErrors('Car', () => prisma.car.delete({ where: { id }, select: { id: true } }));
    return id;
  },
};
