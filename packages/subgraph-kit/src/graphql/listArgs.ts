import type { z } from 'zod';
import { parsePage, type PageRequest, type SortOrder } from './pagination';
import { validate } from './validate';

/** What a sortable, filterable list's arguments are checked against: its order input and filter schemas. */
export interface ListInputs<OrderBy extends z.ZodType, Field extends string, Filter extends z.ZodType> {
  orderBy: OrderBy;
  /** The SDL's order input as the sort order of the rows. */
  order: (orderBy: z.infer<OrderBy>) => SortOrder<Field>;
  filter: Filter;
}

/**
 * A list's arguments, validated: its order, the page asked for (its cursor belongs to that
 * order) and its filter. Each problem is INVALID_ARGUMENT (or OUT_OF_RANGE) naming the argument.
 */
export function parseListArgs<OrderBy extends z.ZodType, Field extends string, Filter extends z.ZodType>(
  args: { orderBy?: unknown; filter?: unknown; first?: number | null; after?: string | null },
  inputs: ListInputs<OrderBy, Field, Filter>,
): { order: SortOrder<Field>; page: PageRequest; filter: z.infer<Filter> } {
  const order = inputs.order(validate(inputs.orderBy, args.orderBy, 'orderBy'));
  return { order, page: parsePage(args, order), filter: validate(inputs.filter, args.filter, 'filter') };
}
