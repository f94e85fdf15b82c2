import { isId } from '../../../../common/graphql/validate';
import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  // The gateway asks for users by key when a cost center references its manager.
  __resolveReference: (reference, { loaders }) => (isId(reference.id) ? loaders.userById.load(reference.id) : null),
};
