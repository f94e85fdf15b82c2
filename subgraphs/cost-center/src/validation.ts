import { z } from 'zod';
import { expectedRevision, idSchema, orderBy, text } from '@car-check/subgraph-kit';

// Codes are business keys printed on invoices: upper-case letters, digits, dashes.
const code = text(32).regex(/^[A-Z0-9][A-Z0-9-]*$/, { error: 'must be upper-case letters, digits and dashes' });

export const createCostCenterInput = z.strictObject({
  code,
  societyName: text(120),
  managerId: idSchema,
});

// An update may change any field of a creation, and names the revision it read.
export const updateCostCenterInput = createCostCenterInput.partial().extend({ expectedRevision });

export const costCenterFilter = z
  .strictObject({
    societyName: text(120).nullish(),
    managerId: idSchema.nullish(),
  })
  .nullish();

export const costCenterOrderBy = orderBy(['CREATED_AT', 'CODE', 'SOCIETY_NAME']);

export const costCenterCode = code;

/**
 * The schema that validates each input type of schema.graphql. Every schema is
 * strict (an unknown key is INVALID_ARGUMENT, never silently dropped), and a
 * test fails when an input field of the SDL has no key here.
 */
export const INPUT_SCHEMAS = {
  CostCenterFilter: costCenterFilter,
  CostCenterOrderBy: costCenterOrderBy,
  CreateCostCenterInput: createCostCenterInput,
  UpdateCostCenterInput: updateCostCenterInput,
} satisfies Record<string, z.ZodType>;
