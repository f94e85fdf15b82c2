import { entityRef } from '../../../../common/graphql/entityRef';
import { isId } from '../../../../common/graphql/validate';
import type { CarResolvers } from '../__generated__/resolvers-types';

export const Car: CarResolvers = {
  // The gateway asks for cars by key when another subgraph references them.
  __resolveReference: (reference, { loaders }) => (isId(reference.id) ? loaders.carById.load(reference.id) : null),

  // Only the key is stored here; the cost-center subgraph resolves the rest.
  costCenter: (car) => entityRef(car.costCenterId),
};
