import { graphError } from '@car-check/service-kit';
import { recordAudit } from '@car-check/events';
import { parseId, validate } from '@car-check/subgraph-kit';
import type { MutationResolvers, QueryResolvers } from '../__generated__/resolvers-types';
import { decoyHash, verifyPassword } from '../auth/password';
import { loginInput } from '../validation';
import { users } from './mutation';

const INVALID_LOGIN = 'Invalid username or password.';

export const AuthQuery: Pick<QueryResolvers, 'me'> = {
  me: (_parent, _args, { caller, loaders }) => (caller.userId ? loaders.userById.load(caller.userId) : null),
};

export const AuthMutation: Pick<MutationResolvers, 'login' | 'logout' | 'revokeUserTokens' | 'deactivateUser'> = {
  login: async (_parent, args, { prisma, tokens, throttle, caller, requestId, clientRequestId, traceId }) => {
    const { username, password } = validate(loginInput, args, 'input');
    const client = caller.clientIp ?? 'unknown';
    // Reserved before anything is looked up: concurrent guesses cannot all pass a check made first.
    const attempt = await throttle.reserve(username, client);
    const user = await prisma.user.findUnique({ where: { username } });
    // Always verify against some hash, so an unknown username costs the same time as a wrong password.
    const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !user.passwordHash || !user.isActive || !valid) {
      await attempt.failed();
      throw graphError('UNAUTHENTICATED', INVALID_LOGIN);
    }
    await attempt.succeeded();
    // The token row and its LOGIN record commit together, or neither does.
    const issued = await prisma.$transaction(async (tx) => {
      const token = await tokens.issue(user.id, new Date(), tx);
      await recordAudit(tx, {
        entity: 'User',
        entityId: user.id,
        action: 'LOGIN',
        caller: { ...caller, userId: user.id },
        requestId,
        clientRequestId,
        traceId,
        changes: [],
      });
      return token;
    });
    return { token: issued.token, expiresAt: issued.expiresAt, user };
  },

  logout: async (_parent, _args, { caller, tokens, prisma, requestId, clientRequestId, traceId }) => {
    if (!caller.userId || !caller.tokenId) return false;
    const { userId, tokenId } = caller;
    // The revocation and its LOGOUT record commit together, or neither does.
    return prisma.$transaction(async (tx) => {
      const revoked = await tokens.revoke(tokenId, userId, tx);
      if (revoked)
        await recordAudit(tx, {
          entity: 'User',
          entityId: userId,
          action: 'LOGOUT',
          caller,
          requestId,
          clientRequestId,
          traceId,
          changes: [],
        });
      return revoked;
    });
  },

  revokeUserTokens: async (_parent, args, { tokens, prisma, caller, requestId, clientRequestId, traceId }) => {
    const userId = parseId(args.userId, 'userId');
    return prisma.$transaction(async (tx) => {
      const count = await tokens.revokeAll(userId, null, tx);
      const changes = [{ field: 'revokedTokens', from: null, to: String(count) }];
      await recordAudit(tx, {
        entity: 'User',
        entityId: userId,
        action: 'REVOKE_TOKENS',
        caller,
        requestId,
        clientRequestId,
        traceId,
        changes,
      });
      return count;
    });
  },

  deactivateUser: async (_parent, args, context, info) => {
    const id = parseId(args.id);
    return users.update(users.write(context, info, args), {
      id,
      expectedRevision: null,
      sets: { isActive: false },
      after: async (tx) => {
        await context.tokens.revokeAll(id, null, tx);
      },
    });
  },
};
