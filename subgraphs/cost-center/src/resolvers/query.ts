import { found, invalidArgument } from '@car-check/service-kit';
import { containsText, fetchPage, parseId, parseListArgs, validate } from '@car-check/subgraph-kit';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { costCenterOrder } from '../order';
import { costCenterCode, costCenterFilter, costCenterOrderBy } from '../validation';

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
    const { order, page, filter } = parseListArgs(args, {
      orderBy: costCenterOrderBy,
      order: costCenterOrder,
      filter: costCenterFilter,
    });
    // User text is matched literally: `%` and `_` are not wildcards (see escapeLike).
    const where: Prisma.CostCenterWhereInput = {
      ...(filter?.societyName ? { societyName: containsText(filter.societyName) } : {}),
      ...(filter?.managerId ? { managerId: filter.managerId } : {}),
    };
    return fetchPage(prisma.costCenter, where, order, page);
  },
};
