import { withDatabaseErrors } from '../../../../common/errors/database';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createCarInput, updateCarInput } from '../validation';

export const Mutation: MutationResolvers = {
  createCar: async (_parent, { input }, { prisma }) => {
    const data = validate(createCarInput, input, 'input');
    return withDatabaseErrors('Car', () => prisma.car.create({ data }));
  },

  updateCar: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    const data = validate(updateCarInput, args.input, 'input');
    return withDatabaseErrors('Car', () =>
      prisma.car.update({ where: { id }, data: { ...data, revision: { increment: 1 } } }),
    );
  },

  deleteCar: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    await withDatabaseErrors('Car', () => prisma.car.delete({ where: { id }, select: { id: true } }));
    return id;
  },
};
