import { parsePage } from '@car-check/subgraph-kit';
import type { CostCenterResolvers } from '../__generated__/resolvers-types';
import { BY_CREATION } from '../order';

export const CostCenter: CostCenterResolvers = {
  // Any id is a valid reference here: a cost center with no cars has none.
  __resolveReference: (reference) => ({ id: reference.id }),

  cars: (costCenter, args, { loaders }) =>
    loaders.carsOfCostCenter.load({ parentId: costCenter.id, page: parsePage(args, BY_CREATION) }),
};
