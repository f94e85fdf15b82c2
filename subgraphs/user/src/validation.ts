import { z } from 'zod';
import { expectedRevision, filterInput, orderBy, text, type InputSchemas } from '@car-check/subgraph-kit';

const username = text(64).regex(/^[a-z0-9][a-z0-9._-]*$/, {
  error: 'must be lower-case letters, digits, dots, dashes or underscores',
});
const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ error: 'must be a valid email address' }));
const group = text(64).regex(/^[a-z][a-z0-9-]*$/, { error: 'must be a lower-case group name' });
const groups = z
  .array(group)
  .max(20)
  .transform((list) => [...new Set(list)]);
// Length is what matters for passphrases; the upper bound keeps hashing cheap to refuse.
const password = z
  .string()
  .min(12, { error: 'must be at least 12 characters' })
  .max(256, { error: 'must be at most 256 characters' });

export const createUserInput = z.strictObject({
  username,
  email,
  groups: groups.nullish().transform((list) => list ?? []),
  password: password.nullish(),
});

export const updateUserInput = z.strictObject({
  username: username.optional(),
  email: email.optional(),
  groups: groups.optional(),
  isActive: z.boolean().optional(),
  password: password.optional(),
  currentPassword: z.string().min(1).max(256).optional(),
  expectedRevision,
});

export const userFilter = filterInput({ isActive: z.boolean().nullish(), group: group.nullish() });

/** Login arguments are only bounded here; wrong values are simply a failed login. */
export const loginInput = z.strictObject({ username: z.string().max(64), password: z.string().max(256) });

export const userOrderBy = orderBy(['CREATED_AT', 'USERNAME']);

/** Each input type's schema (see InputSchemas). */
export const INPUT_SCHEMAS = {
  CreateUserInput: createUserInput,
  UpdateUserInput: updateUserInput,
  UserFilter: userFilter,
  UserOrderBy: userOrderBy,
} satisfies InputSchemas;
