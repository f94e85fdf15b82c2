import { auditedEntity, parseId, validate } from '@car-check/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { createCarInput, updateCarInput } from '../validation';

/** Car writes: each one transaction with its audit record, its event and the client's Idempotency-Key. */
const cars = auditedEntity({ entity: 'Car', prisma: (context: Context) => context.prisma, model: (tx) => tx.car });

export const Mutation: MutationResolvers = {
  createCar: async (_parent, { input }, context, info) => {
    const data = validate(createCarInput, input, 'input');
    await context.costCenters.assertExists(data.costCenterId, context.requestId);
    return cars.create(cars.write(context, info, { input }), (tx) => tx.car.create({ data }));
  },

  updateCar: async (_parent, args, context, info) => {
    const { expectedRevision, ...sets } = validate(updateCarInput, args.input, 'input');
    if (sets.costCenterId) await context.costCenters.assertExists(sets.costCenterId, context.requestId);
    return cars.update(cars.write(context, info, args), { id: parseId(args.id), expectedRevision, sets });
  },

  deleteCar: (_parent, args, context, info) => cars.delete(cars.write(context, info, args), parseId(args.id)),
};
