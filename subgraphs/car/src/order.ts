import { sortOrderFrom, type SortOrder } from '@car-check/subgraph-kit';
import type { CarOrderBy } from './__generated__/resolvers-types';

type CarSortField = 'createdAt' | 'brand' | 'model';

const FIELDS: Record<string, { field: CarSortField; type: SortOrder['type'] }> = {
  CREATED_AT: { field: 'createdAt', type: 'date' },
  BRAND: { field: 'brand', type: 'string' },
  MODEL: { field: 'model', type: 'string' },
};

/** The default order of lists of cars: oldest first. */
export const BY_CREATION: SortOrder<CarSortField> = { field: 'createdAt', direction: 'asc', type: 'date' };

export function carOrder(orderBy: CarOrderBy | null | undefined): SortOrder<CarSortField> {
  return sortOrderFrom(FIELDS, orderBy, 'CREATED_AT');
}
