import { isId } from '@car-check/subgraph-kit';
import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  // Any id is a valid reference here: a user who manages nothing manages an empty list.
  __resolveReference: (reference) => ({ id: reference.id }),

  managedCostCenters: (user, _args, { loaders }) => (isId(user.id) ? loaders.costCentersByManager.load(user.id) : []),
};
