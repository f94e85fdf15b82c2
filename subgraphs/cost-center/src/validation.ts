import { z } from 'zod';
import { expectedRevision, idSchema, text } from '../../../common/graphql/validate';

// Codes are business keys printed on invoices: upper-case letters, digits, dashes.
const code = text(32).regex(/^[A-Z0-9][A-Z0-9-]*$/, { error: 'must be upper-case letters, digits and dashes' });

export const createCostCenterInput = z.object({
  code,
  societyName: text(120),
  managerId: idSchema,
});

export const updateCostCenterInput = z.object({
  code: code.optional(),
  societyName: text(120).optional(),
  managerId: idSchema.optional(),
  expectedRevision,
});

export const costCenterFilter = z
  .object({
    societyName: text(120).nullish(),
    managerId: idSchema.nullish(),
  })
  .nullish();

export const costCenterCode = code;
