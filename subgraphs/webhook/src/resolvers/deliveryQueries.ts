import type { SortOrder } from '@car-check/subgraph-kit';
import type { Prisma } from '../__generated__/prisma/client';

/** The delivery log, newest first. */
export const NEWEST_DELIVERIES_FIRST: SortOrder<'createdAt'> = { field: 'createdAt', direction: 'desc', type: 'date' };

/** The endpoint list, oldest first. */
export const ENDPOINTS_OLDEST_FIRST: SortOrder<'createdAt'> = { field: 'createdAt', direction: 'asc', type: 'date' };

/** A delivery filter (validated) as a Prisma where clause. */
export function deliveryWhere(
  filter:
    | { endpointId?: string | null; status?: string | null; eventType?: string | null; eventId?: string | null }
    | null
    | undefined,
): Prisma.WebhookDeliveryWhereInput {
  return {
    ...(filter?.endpointId ? { endpointId: filter.endpointId } : {}),
    ...(filter?.status ? { status: filter.status } : {}),
    ...(filter?.eventType ? { eventType: filter.eventType } : {}),
    ...(filter?.eventId ? { eventId: filter.eventId } : {}),
  };
}
