import { graphError } from '../../../../common/errors';
import { withDatabaseErrors } from '../../../../common/errors/database';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers, QueryResolvers } from '../__generated__/resolvers-types';
import { decoyHash, verifyPassword } from '../auth/password';
import { loginInput } from '../validation';

const INVALID_LOGIN = 'Invalid username or password.';

export const AuthQuery: Pick<QueryResolvers, 'me'> = {
  me: (_parent, _args, { caller, loaders }) => (caller.userId ? loaders.userById.load(caller.userId) : null),
};

export const AuthMutation: Pick<MutationResolvers, 'login' | 'logout' | 'revokeUserTokens' | 'deactivateUser'> = {
  login: async (_parent, args, { prisma, tokens, throttle, caller }) => {
    const { username, password } = validate(loginInput, args, 'input');
    const client = caller.clientIp ?? 'unknown';
    await throttle.assertAllowed(username, client);
    const user = await prisma.user.findUnique({ where: { username } });
    // Always verify against some hash, so an unknown username costs the same time as a wrong password.
    const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !user.passwordHash || !user.isActive || !valid) {
      await throttle.recordFailure(username, client);
      throw graphError('UNAUTHENTICATED', INVALID_LOGIN);
    }
    await throttle.recordSuccess(username);
    const issued = await tokens.issue(user.id);
    return { token: issued.token, expiresAt: issued.expiresAt, user };
  },

  logout: async (_parent, _args, { caller, tokens }) => {
    if (!caller.userId || !caller.tokenId) return false;
    return tokens.revoke(caller.tokenId, caller.userId);
  },

  revokeUserTokens: async (_parent, args, { tokens }) => tokens.revokeAll(parseId(args.userId, 'userId')),

  deactivateUser: async (_parent, args, { prisma, tokens }) => {
    const id = parseId(args.id);
    return withDatabaseErrors('User', () =>
      prisma.$transaction(async (tx) => {
        const user = await tx.user.update({ where: { id }, data: { isActive: false, revision: { increment: 1 } } });
        await tokens.revokeAll(id, null, tx);
        return user;
      }),
    );
  },
};
