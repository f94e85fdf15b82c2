import { z } from 'zod';
import { idSchema, text } from '@car-check/subgraph-kit';

/** Values one filter list may name: enough for any screen, bounded for the database. */
export const MAX_FILTER_VALUES = 100;
/** Buckets one fleetChanges may return. */
export const MAX_BUCKETS = 400;

const dimension = z.enum(['SOCIETY', 'COST_CENTER', 'MANAGER', 'BRAND', 'MODEL']);

/** Each dimension at most once (grouping twice by the same one would add nothing). */
export const groupBy = z
  .array(dimension)
  .max(5)
  .refine((dimensions) => new Set(dimensions).size === dimensions.length, {
    error: 'must not name a dimension twice',
  });

const values = <T extends z.ZodType>(value: T) => z.array(value).max(MAX_FILTER_VALUES).nullish();

export const fleetFilter = z
  .strictObject({
    societyNames: values(text(120)),
    costCenterIds: values(idSchema),
    managerIds: values(idSchema),
    brands: values(text(120)),
    models: values(text(120)),
  })
  .nullish();

export const fleetPeriod = z
  .strictObject({
    from: z.date(),
    to: z.date(),
    granularity: z.enum(['DAY', 'WEEK', 'MONTH']),
  })
  .refine((period) => period.from.getTime() < period.to.getTime(), {
    error: 'from must be before to',
    path: ['to'],
  });

/**
 * The schema that validates each input type of schema.graphql (strict: an unknown key is
 * INVALID_ARGUMENT; a test fails when an input field of the SDL has no key here).
 */
export const INPUT_SCHEMAS = {
  FleetFilter: fleetFilter,
  FleetPeriod: fleetPeriod,
} satisfies Record<string, z.ZodType>;
