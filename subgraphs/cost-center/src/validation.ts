import { z } from 'zod';
import { filterInput, idList, idSchema, orderBy, text, updateInput, type InputSchemas } from '@car-check/subgraph-kit';

// Codes are business keys printed on invoices: upper-case letters, digits, dashes.
const code = text(32).regex(/^[A-Z0-9][A-Z0-9-]*$/, { error: 'must be upper-case letters, digits and dashes' });

export const createCostCenterInput = z.strictObject({
  code,
  societyName: text(120),
  managerId: idSchema,
});

export const updateCostCenterInput = updateInput(createCostCenterInput);

export const costCenterFilter = filterInput({ societyName: text(120).nullish(), managerId: idSchema.nullish() });

export const costCenterOrderBy = orderBy(['CREATED_AT', 'CODE', 'SOCIETY_NAME']);

export const costCenterChangeFilter = filterInput({ ids: idList, managerIds: idList });

export const costCenterCode = code;

/** Each input type's schema (see InputSchemas). */
export const INPUT_SCHEMAS = {
  CostCenterChangeFilter: costCenterChangeFilter,
  CostCenterFilter: costCenterFilter,
  CostCenterOrderBy: costCenterOrderBy,
  CreateCostCenterInput: createCostCenterInput,
  UpdateCostCenterInput: updateCostCenterInput,
} satisfies InputSchemas;
