import { found } from '@car-check/service-kit';
import { entityRef, isId, NEWEST_FIRST, parsePage } from '@car-check/subgraph-kit';
import type { CarResolvers } from '../__generated__/resolvers-types';

export const Car: CarResolvers = {
  // The gateway asks for cars by key when another subgraph references them.
  // An id that names no car is a dangling reference: NOT_FOUND on the referencing field.
  __resolveReference: (reference, { loaders }) =>
    found('Car', reference.id, isId(reference.id) ? loaders.carById.load(reference.id) : Promise.resolve(null)),

  // Only the key is stored here; the cost-center subgraph resolves the rest.
  costCenter: (car) => entityRef(car.costCenterId),

  history: (car, args, { loaders }) => loaders.history.load({ parentId: car.id, page: parsePage(args, NEWEST_FIRST) }),
};
