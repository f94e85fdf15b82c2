import { found, invalidArgument } from '../../../../common/errors';
import { fetchPage, parsePage } from '../../../../common/graphql/pagination';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { costCenterOrder } from '../order';
import { costCenterCode, costCenterFilter } from '../validation';

export const Query: QueryResolvers = {
  costCenter: (_parent, { id, code }, { loaders }) => {
    if ((id == null) === (code == null)) {
      throw invalidArgument('Give exactly one of `id` and `code`.', { argument: id == null ? 'id' : 'code' });
    }
    return id != null
      ? found('CostCenter', id, loaders.costCenterById.load(parseId(id)))
      : found('CostCenter', code!, loaders.costCenterByCode.load(validate(costCenterCode, code, 'code')));
  },

  costCenters: async (_parent, args, { prisma }) => {
    const order = costCenterOrder(args.orderBy);
    const page = parsePage(args, order);
    const filter = validate(costCenterFilter, args.filter, 'filter');
    const where: Prisma.CostCenterWhereInput = {
      ...(filter?.societyName ? { societyName: { contains: filter.societyName, mode: 'insensitive' } } : {}),
      ...(filter?.managerId ? { managerId: filter.managerId } : {}),
    };
    return fetchPage(prisma.costCenter, where, order, page);
  },
};
