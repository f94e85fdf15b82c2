import { graphError } from '@car-check/service-kit';
import type { EntityChange } from './change';
import type { SubscriptionHub } from './hub';

/** What a request served as a stream (text/event-stream) adds to the request: see sse.ts. */
export interface StreamRequest {
  hub: SubscriptionHub;
  /** The `Last-Event-ID` header: the cursor to resume from, over the `after` argument. */
  lastEventId: string | null;
}

/** The arguments every `<entity>Changed` field has. */
export interface ChangeFieldArgs<Filter> {
  filter?: Filter | null | undefined;
  after?: string | null;
}

export interface ChangeSubscriptionOptions<Filter, Ctx> {
  /** The entity, as its audit records name it (e.g. `Car`). */
  entity: string;
  /** Validates the `filter` argument (INVALID_ARGUMENT before the stream opens): the subgraph's zod schema. */
  parseFilter: (filter: unknown) => Filter | null | undefined;
  /**
   * Whether a change is one the filter asks for. It runs for every change of the entity,
   * with the subscription's context: read the database directly (not through the
   * request's loaders, whose cache would go stale over a long subscription).
   */
  matches: (change: EntityChange, filter: Filter, context: Ctx) => boolean | Promise<boolean>;
}

/**
 * A subscription field fed by the subgraph's outbox: the `subscribe` and `resolve` pair
 * for its resolver map. Each change the stream yields becomes the field's value, and
 * its selection (the entity itself, fields of other types) is resolved by the type's
 * ordinary resolvers, with a fresh context per event (see sse.ts).
 */
export function changeSubscription<Filter, Ctx extends { stream?: StreamRequest }>(
  options: ChangeSubscriptionOptions<Filter, Ctx>,
) {
  return {
    subscribe: async (_parent: unknown, args: ChangeFieldArgs<Filter>, context: Ctx) => {
      const stream = context.stream;
      if (!stream) throw subscriptionOverPlainHttp();
      const filter = options.parseFilter(args.filter) ?? null;
      return stream.hub.open({
        entity: options.entity,
        after: stream.lastEventId ?? args.after ?? null,
        matches: filter === null ? () => true : (change) => options.matches(change, filter, context),
      });
    },
    resolve: (change: EntityChange): EntityChange => {
      // graphql-js runs a subscription document sent as a query with no event at all.
      if (change === undefined) throw subscriptionOverPlainHttp();
      return change;
    },
  };
}

/** A subscription sent without `Accept: text/event-stream`. */
export function subscriptionOverPlainHttp() {
  return graphError(
    'INVALID_ARGUMENT',
    'Subscriptions are served as a stream: send them with `Accept: text/event-stream`.',
  );
}
