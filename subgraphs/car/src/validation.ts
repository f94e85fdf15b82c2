import { z } from 'zod';
import { filterInput, idList, idSchema, orderBy, text, updateInput, type InputSchemas } from '@car-check/subgraph-kit';

const version = text(60).nullable().optional();

export const createCarInput = z.strictObject({
  brand: text(60),
  model: text(60),
  version,
  costCenterId: idSchema,
});

export const updateCarInput = updateInput(createCarInput);

export const carFilter = filterInput({
  brand: text(60).nullish(),
  costCenterId: idSchema.nullish(),
  search: text(100).nullish(),
  costCenterCode: text(32).nullish(),
  societyName: text(120).nullish(),
  managerId: idSchema.nullish(),
});

export const carOrderBy = orderBy(['CREATED_AT', 'BRAND', 'MODEL']);

export const carChangeFilter = filterInput({ ids: idList, costCenterIds: idList });

/** Each input type's schema (see InputSchemas). */
export const INPUT_SCHEMAS = {
  CarChangeFilter: carChangeFilter,
  CarFilter: carFilter,
  CarOrderBy: carOrderBy,
  CreateCarInput: createCarInput,
  UpdateCarInput: updateCarInput,
} satisfies InputSchemas;
