import { changeSubscription, isId, validate, type EntityChange } from '@car-check/subgraph-kit';
import type {
  CostCenterChangeFilter,
  CostCenterChangeResolvers,
  SubscriptionResolvers,
} from '../__generated__/resolvers-types';
import type { Context } from '../context';
import { costCenterChangeFilter } from '../validation';

/**
 * The cost-center subgraph's subscription fields, in one place: `costCenterChanged`
 * streams the changes of its outbox (subgraph-kit's subscriptions), and each one's
 * selection is resolved here and by the CostCenter resolvers, per event, with a fresh context.
 */
export const Subscription: SubscriptionResolvers = {
  costCenterChanged: changeSubscription<CostCenterChangeFilter, Context>({
    entity: 'CostCenter',
    parseFilter: (filter) => validate(costCenterChangeFilter, filter, 'filter'),
    matches: costCenterChangeMatches,
  }),
};

export const CostCenterChange: CostCenterChangeResolvers = {
  costCenterId: (change) => change.entityId,
  // The cost center as it is now: null once deleted (even for an older event replayed after the deletion).
  costCenter: (change, _args, { loaders }) =>
    change.kind === 'DELETED' ? null : loaders.costCenterById.load(change.entityId),
};

/**
 * Whether a change is one the filter asks for. The manager is in the change when it was
 * set or changed (creation, deletion, a new manager: both the old and the new one match);
 * otherwise it is the cost center's current one, read from the database.
 */
export async function costCenterChangeMatches(
  change: EntityChange,
  filter: CostCenterChangeFilter,
  { prisma }: Context,
): Promise<boolean> {
  if (filter.ids && !filter.ids.includes(change.entityId)) return false;
  const wanted = filter.managerIds;
  if (!wanted) return true;
  const changed = change.changes.find((field) => field.field === 'managerId');
  if (changed) return [changed.from, changed.to].some((id) => typeof id === 'string' && wanted.includes(id));
  if (!isId(change.entityId)) return false;
  const center = await prisma.costCenter.findUnique({ where: { id: change.entityId }, select: { managerId: true } });
  return typeof center?.managerId === 'string' && wanted.includes(center.managerId);
}
