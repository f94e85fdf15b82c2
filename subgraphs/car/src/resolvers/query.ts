import { found } from '../../../../common/errors';
import { afterCursorWhere, orderByClause, parsePage, toConnection } from '../../../../common/graphql/pagination';
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
    const pageWhere = page.after ? (afterCursorWhere(order, page.after) as Prisma.CarWhereInput) : {};
    const [rows, totalCount] = await Promise.all([
      prisma.car.findMany({
        where: { AND: [where, pageWhere] },
        orderBy: orderByClause(order) as Prisma.CarOrderByWithRelationInput[],
        take: page.first + 1,
      }),
      prisma.car.count({ where }),
    ]);
    return toConnection(rows, page, order, totalCount);
  },
};
