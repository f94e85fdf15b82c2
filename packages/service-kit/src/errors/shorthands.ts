import { graphError, type GraphError } from './catalog';

/** Shorthands for the errors resolvers throw most; all go through the catalog. */
export const invalidArgument = (message: string, details?: Record<string, unknown>): GraphError =>
  graphError('INVALID_ARGUMENT', message, details);

export const outOfRange = (message: string, details?: Record<string, unknown>): GraphError =>
  graphError('OUT_OF_RANGE', message, details);

export const notFound = (entity: string, id: string): GraphError =>
  graphError('NOT_FOUND', `${entity} ${id} does not exist.`, { entity, id });

export const alreadyExists = (entity: string, fields: string[]): GraphError =>
  graphError('ALREADY_EXISTS', `A ${entity} with the same ${fields.join(', ')} already exists.`, {
    entity,
    fields,
  });

/** The entity, or a NOT_FOUND error naming what was looked for. */
export async function found<T>(entity: string, key: string, lookup: Promise<T | null>): Promise<T> {
  const value = await lookup;
  if (value === null) throw notFound(entity, key);
  return value;
}
