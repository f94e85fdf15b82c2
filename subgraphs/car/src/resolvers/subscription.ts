import { changeSubscription, isId, validate, type EntityChange } from '@car-check/subgraph-kit';
import type { CarChangeFilter, CarChangeResolvers, SubscriptionResolvers } from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { carChangeFilter } from '../validation';

/**
 * The car subgraph's subscription fields, in one place: `carChanged` streams the changes
 * of its outbox (subgraph-kit's subscriptions), and each one's selection is resolved
 * here and by the Car resolvers, per event, with a fresh context.
 */
export const Subscription: SubscriptionResolvers = {
  carChanged: changeSubscription<CarChangeFilter, Context>({
    entity: 'Car',
    parseFilter: (filter) => validate(carChangeFilter, filter, 'filter'),
    matches: carChangeMatches,
  }),
};

export const CarChange: CarChangeResolvers = {
  carId: (change) => change.entityId,
  // The car as it is now: null once deleted (even for an older event replayed after the deletion).
  car: (change, _args, { loaders }) => (change.kind === 'DELETED' ? null : loaders.carById.load(change.entityId)),
};

/**
 * Whether a change is one the filter asks for. A car's cost center is in the change when
 * it was set or changed (creation, deletion, a move: both the old and the new one match);
 * otherwise it is the car's current one, read from the database.
 */
export async function carChangeMatches(
  change: EntityChange,
  filter: CarChangeFilter,
  { prisma }: Context,
): Promise<boolean> {
  if (filter.ids && !filter.ids.includes(change.entityId)) return false;
  const wanted = filter.costCenterIds;
  if (!wanted) return true;
  const moved = change.changes.find((field) => field.field === 'costCenterId');
  if (moved) return [moved.from, moved.to].some((id) => typeof id === 'string' && wanted.includes(id));
  if (!isId(change.entityId)) return false;
  const car = await prisma.car.findUnique({ where: { id: change.entityId }, select: { costCenterId: true } });
  return typeof car?.costCenterId === 'string' && wanted.includes(car.costCenterId);
}
