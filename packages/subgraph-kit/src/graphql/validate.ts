import { z } from 'zod';
import { invalidArgument } from '@car-check/service-kit';

/**
 * Validates a resolver argument against a zod schema, turning the first problem
 * into an INVALID_ARGUMENT error that names the offending field, so nothing is
 * written when the input is wrong.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, argument: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown key (schemas are strict) is named like any other offending field.
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  const field = [argument, ...(issue?.path ?? []).map(String), ...unknownKey].join('.');
  throw invalidArgument(`Invalid ${field}: ${issue?.message ?? 'invalid value'}.`, { argument, field });
}

/** Ids are UUIDs; anything else cannot name an entity of this graph. */
export const idSchema = z.uuid({ error: 'must be a valid id' });

/** Validates an `ID` argument. */
export function parseId(value: unknown, argument = 'id'): string {
  return validate(idSchema, value, argument);
}

/** Whether a value could be an id at all (reference resolution skips the rest). */
export function isId(value: unknown): value is string {
  return idSchema.safeParse(value).success;
}

/** How many ids a filter's list may name. */
export const MAX_FILTER_IDS = 100;

/** A filter's list of ids (e.g. a subscription's `ids`): each a valid id, at most MAX_FILTER_IDS; absent or null: no filter. */
export const idList = z
  .array(idSchema)
  .max(MAX_FILTER_IDS, { error: `must name at most ${MAX_FILTER_IDS} ids` })
  .nullish();

/** A trimmed, bounded, non-empty single-line text. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' });

/** An optimistic-concurrency revision a client read (1 on create, +1 per update). */
export const expectedRevision = z.number().int().min(1, { error: 'must be at least 1' }).nullish();

/**
 * A `{ field, direction }` ordering input: `field` one of `fields` (the SDL's
 * order-field enum), `direction` ASC or DESC. Both have defaults in the SDL.
 */
export const orderBy = <const Field extends string>(fields: readonly [Field, ...Field[]]) =>
  z
    .strictObject({
      field: z.enum(fields).optional(),
      direction: z.enum(['ASC', 'DESC']).optional(),
    })
    .nullish();

/**
 * A list's filter input: strict like every input, and the filter itself may be left out
 * (its fields say each whether it may be null).
 */
export const filterInput = <Shape extends z.ZodRawShape>(shape: Shape) => z.strictObject(shape).nullish();

/** An update input that may change any field of a creation, and names the revision it read. */
export const updateInput = <Shape extends z.ZodRawShape>(create: z.ZodObject<Shape>) =>
  create.partial().extend({ expectedRevision });

/**
 * The schema that validates each input type of a subgraph's schema.graphql, by type name. Every
 * schema is strict (an unknown key is INVALID_ARGUMENT, never silently dropped), and a test fails
 * when an input field of the SDL has no key here.
 */
export type InputSchemas = Record<string, z.ZodType>;
