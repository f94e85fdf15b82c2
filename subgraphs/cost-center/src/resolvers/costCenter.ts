import { entityRef } from '../../../../common/graphql/entityRef';
import { isId } from '../../../../common/graphql/validate';
import type { CostCenterResolvers } from '../__generated__/resolvers-types';

export const CostCenter: CostCenterResolvers = {
  // Resolvable by either key: `id` from cars, `code` from clients that know it.
  __resolveReference: (reference, { loaders }) => {
    if ('id' in reference && isId(reference.id)) return loaders.costCenterById.load(reference.id);
    if ('code' in reference && typeof reference.code === 'string') return loaders.costCenterByCode.load(reference.code);
    return null;
  },

  // Only the key is stored here; the user subgraph resolves the rest.
  manager: (costCenter) => entityRef(costCenter.managerId),
};
