import { z } from 'zod';
import { expectedRevision, idSchema, text } from '../../../common/graphql/validate';

const version = text(60).nullable().optional();

export const createCarInput = z.object({
  brand: text(60),
  model: text(60),
  version,
  costCenterId: idSchema,
});

export const updateCarInput = z.object({
  brand: text(60).optional(),
  model: text(60).optional(),
  version,
  costCenterId: idSchema.optional(),
  expectedRevision,
});

export const carFilter = z
  .object({
    brand: text(60).nullish(),
    costCenterId: idSchema.nullish(),
    search: text(100).nullish(),
  })
  .nullish();
