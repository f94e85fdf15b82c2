import { z } from 'zod';
import { expectedRevision, idSchema, orderBy, text } from '@car-check/subgraph-kit';

const version = text(60).nullable().optional();

export const createCarInput = z.strictObject({
  brand: text(60),
  model: text(60),
  version,
  costCenterId: idSchema,
});

// An update may change any field of a creation, and names the revision it read.
export const updateCarInput = createCarInput.partial().extend({ expectedRevision });

export const carFilter = z
  .strictObject({
    brand: text(60).nullish(),
    costCenterId: idSchema.nullish(),
    search: text(100).nullish(),
    costCenterCode: text(32).nullish(),
    societyName: text(120).nullish(),
    managerId: idSchema.nullish(),
  })
  .nullish();

export const carOrderBy = orderBy(['CREATED_AT', 'BRAND', 'MODEL']);

/**
 * The schema that validates each input type of schema.graphql. Every schema is
 * strict (an unknown key is INVALID_ARGUMENT, never silently dropped), and a
 * test fails when an input field of the SDL has no key here.
 */
export const INPUT_SCHEMAS = {
  CarFilter: carFilter,
  CarOrderBy: carOrderBy,
  CreateCarInput: createCarInput,
  UpdateCarInput: updateCarInput,
} satisfies Record<string, z.ZodType>;
