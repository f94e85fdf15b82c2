import { sortOrderFrom, type SortOrder } from '@car-check/subgraph-kit';
import type { CostCenterOrderBy } from './__generated__/resolvers-types';

type CostCenterSortField = 'createdAt' | 'code' | 'societyName';

const FIELDS: Record<string, { field: CostCenterSortField; type: SortOrder['type'] }> = {
  CREATED_AT: { field: 'createdAt', type: 'date' },
  CODE: { field: 'code', type: 'string' },
  SOCIETY_NAME: { field: 'societyName', type: 'string' },
};

export function costCenterOrder(orderBy: CostCenterOrderBy | null | undefined): SortOrder<CostCenterSortField> {
  return sortOrderFrom(FIELDS, orderBy, 'CREATED_AT');
}
