import { found } from '@car-check/service-kit';
import { containsText, equalsText, fetchPage, parseId, parseListArgs } from '@car-check/subgraph-kit';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { carsByCostCenter, filtersByCostCenter } from '../carsByCostCenter';
import { carOrder } from '../order';
import { carFilter, carOrderBy } from '../validation';

export const Query: QueryResolvers = {
  car: (_parent, { id }, { loaders }) => found('Car', id, loaders.carById.load(parseId(id))),

  cars: async (_parent, args, { prisma }) => {
    const { order, page, filter } = parseListArgs(args, { orderBy: carOrderBy, order: carOrder, filter: carFilter });
    // A cost center's code, society name or manager: one statement joined to the replica of the cost centers.
    if (filter && filtersByCostCenter(filter)) return carsByCostCenter(prisma, filter, order, page);
    // User text is matched literally: `%` and `_` are not wildcards (see escapeLike).
    const where: Prisma.CarWhereInput = {
      ...(filter?.brand ? { brand: equalsText(filter.brand) } : {}),
      ...(filter?.costCenterId ? { costCenterId: filter.costCenterId } : {}),
      ...(filter?.search
        ? {
            OR: [{ brand: containsText(filter.search) }, { model: containsText(filter.search) }],
          }
        : {}),
    };
    return fetchPage(prisma.car, where, order, page);
  },
};
