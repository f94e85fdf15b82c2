import { auditedCreate, auditedDelete, auditedUpdate, type AuditedWrite } from '../../../../common/audit/mutations';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { createCarInput, updateCarInput } from '../validation';

type Tx = Parameters<Parameters<Context['prisma']['$transaction']>[0]>[0];

/** Every car write is one transaction with its audit record. */
const write = ({ prisma, caller, requestId }: Context): AuditedWrite<Tx> => ({
  entity: 'Car',
  transaction: (work) => prisma.$transaction(work),
  caller,
  requestId,
});

export const Mutation: MutationResolvers = {
  createCar: async (_parent, { input }, context) => {
    const data = validate(createCarInput, input, 'input');
    await context.costCenters.assertExists(data.costCenterId, context.requestId);
    return auditedCreate(write(context), (tx) => tx.car.create({ data }));
  },

  updateCar: async (_parent, args, context) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateCarInput, args.input, 'input');
    if (changes.costCenterId) await context.costCenters.assertExists(changes.costCenterId, context.requestId);
    return auditedUpdate(write(context), {
      id,
      expectedRevision,
      read: (tx) => tx.car.findUnique({ where: { id } }),
      updateWhere: async (tx, revision) =>
        (await tx.car.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } })).count,
    });
  },

  deleteCar: async (_parent, args, context) => {
    const id = parseId(args.id);
    return auditedDelete(write(context), {
      id,
      read: (tx) => tx.car.findUnique({ where: { id } }),
      delete: (tx) => tx.car.delete({ where: { id } }),
    });
  },
};
