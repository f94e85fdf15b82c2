import { defaultFieldResolver, type DocumentNode, type GraphQLFieldResolver } from 'graphql';
import { graphError, denial, denialMessage, readRequirements, type CallerIdentity } from '@car-check/service-kit';

type ResolverMap = Record<string, Record<string, unknown>>;

/**
 * Wraps a subgraph's resolvers so that every field its SDL marks with
 * `@authenticated` or `@requiresScopes` refuses callers without them
 * (UNAUTHENTICATED or PERMISSION_DENIED on that field). This is the
 * authoritative check: it holds even for a request that skipped the gateway's.
 */
export function enforceRequirements(typeDefs: DocumentNode, resolvers: object): object {
  const wrapped: ResolverMap = { ...(resolvers as ResolverMap) };
  for (const [coordinate, requirement] of readRequirements(typeDefs)) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const typeResolvers = { ...(wrapped[typeName] ?? {}) };
    const original = typeResolvers[fieldName];
    const resolve = (typeof original === 'function' ? original : defaultFieldResolver) as GraphQLFieldResolver<
      unknown,
      { caller: CallerIdentity }
    >;
    typeResolvers[fieldName] = ((parent, args, context, info) => {
      const code = denial(requirement, context.caller);
      if (code) throw graphError(code, denialMessage(code, coordinate, requirement), { coordinate });
      return resolve(parent, args, context, info);
    }) satisfies GraphQLFieldResolver<unknown, { caller: CallerIdentity }>;
    wrapped[typeName] = typeResolvers;
  }
  return wrapped;
}
