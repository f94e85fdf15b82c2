import { sortOrderFrom, type SortOrder } from '@car-check/subgraph-kit';
import type { UserOrderBy } from './__generated__/resolvers-types';

type UserSortField = 'createdAt' | 'username';

const FIELDS: Record<string, { field: UserSortField; type: SortOrder['type'] }> = {
  CREATED_AT: { field: 'createdAt', type: 'date' },
  USERNAME: { field: 'username', type: 'string' },
};

export function userOrder(orderBy: UserOrderBy | null | undefined): SortOrder<UserSortField> {
  return sortOrderFrom(FIELDS, orderBy, 'CREATED_AT');
}
