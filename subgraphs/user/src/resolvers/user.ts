import { found } from '../../../../common/errors';
import { isId } from '../../../../common/graphql/validate';
import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  // The gateway asks for users by key when a cost center references its manager.
  // An id that names no user is a dangling reference (e.g. a deleted manager): NOT_FOUND on that field.
  __resolveReference: (reference, { loaders }) =>
    found('User', reference.id, isId(reference.id) ? loaders.userById.load(reference.id) : Promise.resolve(null)),
};
