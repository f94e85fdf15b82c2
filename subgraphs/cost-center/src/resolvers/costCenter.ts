import { found } from '@car-check/service-kit';
import { entityRef, isId, NEWEST_FIRST, parsePage } from '@car-check/subgraph-kit';
import type { CostCenterResolvers } from '../__generated__/resolvers-types';

export const CostCenter: CostCenterResolvers = {
  // Resolvable by either key: `id` from cars, `code` from clients that know it.
  // A key that names no cost center is a dangling reference: NOT_FOUND on the referencing field.
  __resolveReference: (reference, { loaders }) => {
    if ('id' in reference && reference.id !== undefined) {
      const lookup = isId(reference.id) ? loaders.costCenterById.load(reference.id) : Promise.resolve(null);
      return found('CostCenter', reference.id, lookup);
    }
    const code = 'code' in reference ? String(reference.code) : '';
    return found('CostCenter', code, loaders.costCenterByCode.load(code));
  },

  // Only the key is stored here; the user subgraph resolves the rest.
  manager: (costCenter) => entityRef(costCenter.managerId),

  history: (center, args, { loaders }) =>
    loaders.history.load({ parentId: center.id, page: parsePage(args, NEWEST_FIRST) }),
};
