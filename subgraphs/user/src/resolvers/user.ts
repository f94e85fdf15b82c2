import { found, graphError } from '@car-check/service-kit';
import { isId, NEWEST_FIRST, parsePage } from '@car-check/subgraph-kit';
import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  // An id that names no user is a dangling reference (e.g. a deleted manager): NOT_FOUND on that field.
  __resolveReference: (reference, { loaders }) =>
    found('User', reference.id, isId(reference.id) ? loaders.userById.load(reference.id) : Promise.resolve(null)),

  history: (user, args, { loaders }) =>
    loaders.history.load({ parentId: user.id, page: parsePage(args, NEWEST_FIRST) }),

  // A rule that depends on the data, so the SDL can only say @authenticated:
  // your own email, or anyone's with user:read.
  email: (user, _args, { caller }) => {
    if (caller.userId === user.id || caller.scopes.includes('user:read')) return user.email;
    throw graphError('PERMISSION_DENIED', "User.email needs the user:read scope, unless it is the caller's own.", {
      coordinate: 'User.email',
    });
  },
};
