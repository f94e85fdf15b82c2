import { defaultFieldResolver, type DocumentNode, type GraphQLFieldResolver } from 'graphql';
import {
  graphError,
  denial,
  denialMessage,
  readRequirements,
  type CallerIdentity,
  type Requirement,
} from '@car-check/service-kit';

type ResolverMap = Record<string, Record<string, unknown>>;
type Resolver = GraphQLFieldResolver<unknown, { caller: CallerIdentity }>;

/** A subscription field's resolver: `subscribe` opens its stream, `resolve` maps each event. */
interface SubscriptionFieldResolver {
  subscribe: Resolver;
  resolve?: Resolver;
}

const isSubscriptionField = (value: unknown): value is SubscriptionFieldResolver =>
  typeof value === 'object' && value !== null && typeof (value as { subscribe?: unknown }).subscribe === 'function';

/**
 * Wraps a subgraph's resolvers so that every field its SDL marks with
 * `@authenticated` or `@requiresScopes` refuses callers without them
 * (UNAUTHENTICATED or PERMISSION_DENIED on that field). This is the
 * authoritative check: it holds even for a request that skipped the gateway's.
 * A subscription field is checked when its stream opens (the refusal is the
 * stream's only answer) and again for every event.
 */
export function enforceRequirements(typeDefs: DocumentNode, resolvers: object): object {
  const wrapped: ResolverMap = { ...(resolvers as ResolverMap) };
  for (const [coordinate, requirement] of readRequirements(typeDefs)) {
    const [typeName, fieldName] = coordinate.split('.') as [string, string];
    const typeResolvers = { ...(wrapped[typeName] ?? {}) };
    const original = typeResolvers[fieldName];
    typeResolvers[fieldName] = isSubscriptionField(original)
      ? {
          subscribe: guarded(original.subscribe, coordinate, requirement),
          resolve: guarded(original.resolve ?? defaultFieldResolver, coordinate, requirement),
        }
      : guarded(
          (typeof original === 'function' ? original : defaultFieldResolver) as Resolver,
          coordinate,
          requirement,
        );
    wrapped[typeName] = typeResolvers;
  }
  return wrapped;
}

function guarded(resolve: Resolver, coordinate: string, requirement: Requirement): Resolver {
  return (parent, args, context, info) => {
    const code = denial(requirement, context.caller);
    if (code) throw graphError(code, denialMessage(code, coordinate, requirement), { coordinate });
    return resolve(parent, args, context, info);
  };
}
