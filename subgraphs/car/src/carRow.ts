import type { Car } from './__generated__/prisma/client';

/** A `car` row as raw SQL returns it (the statements Prisma's query builder cannot express). */
export interface CarRow {
  id: string;
  brand: string;
  model: string;
  version: string | null;
  cost_center_id: string | null;
  created_at: Date;
  updated_at: Date;
  revision: number;
}

/** The Prisma model of a raw row, so raw queries hand resolvers what Prisma queries do. */
export const carFromRow = (row: CarRow): Car => ({
  id: row.id,
  brand: row.brand,
  model: row.model,
  version: row.version,
  costCenterId: row.cost_center_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  revision: row.revision,
});
