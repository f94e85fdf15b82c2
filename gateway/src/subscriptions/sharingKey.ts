import {
  getNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  BREAK,
} from 'graphql';
import { denialKey } from '@car-check/service-kit';
import type { SubscriptionRequest } from './subscription';

/** The argument of a change subscription that replays from a cursor (`carChanged(after: ...)`). */
const RESUME_ARGUMENT = 'after';

/**
 * The key under which identical subscriptions share one feed (one upstream
 * stream, one plan execution per event), or null when this one needs its own.
 *
 * Shared: the same operation text and name, the same variables, and the same
 * authorization scope: `denialKey` (signed in or not, and the scopes: what
 * the gateway's authorization masks by), plus the caller itself when the
 * selection reaches a type whose fields answer per caller
 * (`@cacheEntity(perCaller: true)`, e.g. one's own email), as the entity
 * cache scopes its entries.
 *
 * Not shared: a subscription that resumes from a cursor (`Last-Event-ID`, or
 * an `after:` argument of its root field). It catches up on its own stream
 * and keeps it: joining a live feed once caught up would need the feed and
 * the catch-up to meet at one cursor, and a resume is rare next to the live
 * subscriptions that share.
 */
export function sharingKey(
  request: SubscriptionRequest,
  schema: GraphQLSchema,
  perCallerTypes: ReadonlySet<string>,
): string | null {
  if (request.lastEventId !== undefined || resumesFromCursor(request.operation, request.variables)) return null;
  const { caller } = request.context;
  const who = reachesPerCallerType(request, schema, perCallerTypes)
    ? (caller.userId ?? caller.service ?? caller.clientIp ?? 'anonymous')
    : '';
  return JSON.stringify([
    request.queryHash,
    request.operationName ?? '',
    canonical(request.variables),
    denialKey(caller),
    who,
  ]);
}

/** Whether a root field of the operation has an `after:` cursor (a literal, or a variable given a value). */
function resumesFromCursor(operation: OperationDefinitionNode, variables: Record<string, unknown>): boolean {
  return operation.selectionSet.selections.some(
    (selection) =>
      selection.kind === Kind.FIELD &&
      (selection.arguments ?? []).some((argument) => {
        if (argument.name.value !== RESUME_ARGUMENT) return false;
        if (argument.value.kind === Kind.NULL) return false;
        if (argument.value.kind === Kind.VARIABLE) {
          const value = variables[argument.value.name.value];
          return value !== undefined && value !== null;
        }
        return true;
      }),
  );
}

/** Whether any field the document selects is of, or on, a type that answers per caller. */
function reachesPerCallerType(
  request: SubscriptionRequest,
  schema: GraphQLSchema,
  perCallerTypes: ReadonlySet<string>,
): boolean {
  if (perCallerTypes.size === 0) return false;
  const typeInfo = new TypeInfo(schema);
  let reaches = false;
  visit(
    request.document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const type = typeInfo.getType();
        // A field the schema does not know (a fragment on another type) is treated as per caller.
        if (!parent || !type || perCallerTypes.has(parent.name) || perCallerTypes.has(getNamedType(type).name)) {
          reaches = true;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return reaches;
}

/** Variables as one string whatever the order of their keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}
