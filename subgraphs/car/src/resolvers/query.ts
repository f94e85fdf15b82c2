import { found } from '../../../../common/errors';
import { fetchPage, parsePage } from '../../../../common/graphql/pagination';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { carOrder } from '../order';
import { carFilter } from '../validation';

export const Query: QueryResolvers = {
  car: (_parent, { id }, { loaders }) => found('Car', id, loaders.carById.load(parseId(id))),

  cars: async (_parent, args, { prisma }) => {
    const order = carOrder(args.orderBy);
    const page = parsePage(args, order);
    const filter = validate(carFilter, args.filter, 'filter');
    const where: Prisma.CarWhereInput = {
      ...(filter?.brand ? { brand: { equals: filter.brand, mode: 'insensitive' } } : {}),
      ...(filter?.costCenterId ? { costCenterId: filter.costCenterId } : {}),
      ...(filter?.search
        ? {
            OR: [
              { brand: { contains: filter.search, mode: 'insensitive' } },
              { model: { contains: filter.search, mode: 'insensitive' } },
            ],
          }
        : {}),
    };
    return fetchPage(prisma.car, where, order, page);
  },
};
