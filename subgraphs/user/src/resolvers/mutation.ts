import { auditedCreate, auditedDelete, auditedUpdate, type AuditedWrite } from '../../../../common/audit/mutations';
import { graphError } from '../../../../common/errors';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { hashPassword } from '../auth/password';
import type { Context } from '../context';
import { createUserInput, updateUserInput } from '../validation';

type Tx = Parameters<Parameters<Context['prisma']['$transaction']>[0]>[0];

// That a password was set or changed is recorded; the hash never is.
const PASSWORD_CHANGED = { field: 'password', from: '"[redacted]"', to: '"[redacted]"' };

/** Every user write is one transaction with its audit record; password hashes are never recorded. */
export const write = ({ prisma, caller, requestId }: Context): AuditedWrite<Tx> => ({
  entity: 'User',
  transaction: (work) => prisma.$transaction(work),
  caller,
  requestId,
  diff: { secret: ['passwordHash'] },
});

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, context) => {
    const { password, ...data } = validate(createUserInput, input, 'input');
    const passwordHash = password ? await hashPassword(password) : null;
    return auditedCreate(write(context), (tx) => tx.user.create({ data: { ...data, passwordHash } }));
  },

  updateUser: async (_parent, args, context) => {
    const { caller, tokens } = context;
    const id = parseId(args.id);
    const { expectedRevision, password, ...changes } = validate(updateUserInput, args.input, 'input');
    const ownPasswordOnly = caller.userId === id && Object.keys(changes).length === 0;
    if (!caller.scopes.includes('user:write') && !ownPasswordOnly) {
      throw graphError('PERMISSION_DENIED', 'updateUser needs the user:write scope, except to change your own password.');
    }
    const passwordHash = password ? await hashPassword(password) : undefined;
    return auditedUpdate(write(context), {
      id,
      expectedRevision,
      read: (tx) => tx.user.findUnique({ where: { id } }),
      updateWhere: async (tx, revision) =>
        (
          await tx.user.updateMany({
            where: { id, revision },
            data: { ...changes, ...(passwordHash ? { passwordHash } : {}), revision: { increment: 1 } },
          })
        ).count,
      extraChanges: passwordHash ? [PASSWORD_CHANGED] : [],
      // A new password ends every other session; deactivation ends all of them.
      after: async (tx) => {
        if (passwordHash) await tokens.revokeAll(id, caller.userId === id ? caller.tokenId : null, tx);
        if (changes.isActive === false) await tokens.revokeAll(id, null, tx);
      },
    });
  },

  deleteUser: async (_parent, args, context) => {
    const id = parseId(args.id);
    return auditedDelete(write(context), {
      id,
      read: (tx) => tx.user.findUnique({ where: { id } }),
      delete: (tx) => tx.user.delete({ where: { id } }),
    });
  },
};
