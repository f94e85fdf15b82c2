import type { CloudEvent } from '@car-check/events';

/** What an endpoint subscribes to (its row's filter columns). */
export interface Subscription {
  eventTypes: readonly string[];
  costCenterIds: readonly string[];
  societyNames: readonly string[];
}

/** `*` matches any type, `car.*` any type that starts with `car.`, anything else only itself. */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** The values a field had before or after the change. */
function valuesOf(event: CloudEvent, field: string): unknown[] {
  const changes = Array.isArray(event.data?.changes) ? event.data.changes : [];
  return changes.filter((change) => change?.field === field).flatMap((change) => [change.from, change.to]);
}

/**
 * What the event log knows about an event's entity that the event itself may not carry: the
 * cost center a car is in when an update leaves it unchanged, and the society of a cost center
 * (see entityContext in ingest.ts).
 */
export interface EventContext {
  costCenterIds: readonly string[];
  societyNames: readonly string[];
}

const NO_CONTEXT: EventContext = { costCenterIds: [], societyNames: [] };

/**
 * The cost centers an event is about: the cost center itself for `cost-center.*`, the
 * car's cost center (before and after, or as last known) for `car.*`. User events are about none.
 */
export function costCentersOf(event: CloudEvent, context: EventContext = NO_CONTEXT): string[] {
  const ids = event.type.startsWith('cost-center.') ? [event.subject] : valuesOf(event, 'costCenterId');
  return [...ids, ...context.costCenterIds].filter((id): id is string => typeof id === 'string');
}

/** The society names an event is about: its cost center's, from the event (before and after) or as last known. */
export function societiesOf(event: CloudEvent, context: EventContext = NO_CONTEXT): string[] {
  const names = event.type.startsWith('cost-center.') ? valuesOf(event, 'societyName') : [];
  return [...names, ...context.societyNames].filter((name): name is string => typeof name === 'string');
}

/** Whether an endpoint filters on cost centers or societies (the event log is read only for those). */
export const filtersByCostCenter = (subscription: Subscription): boolean =>
  subscription.costCenterIds.length > 0 || subscription.societyNames.length > 0;

/**
 * Whether an endpoint wants an event: one of its types matches, and each filter it sets
 * (cost centers, societies) matches too. A filter set on an event that carries no such
 * value (a user event and a cost-center filter) does not match.
 */
export function matches(subscription: Subscription, event: CloudEvent, context: EventContext = NO_CONTEXT): boolean {
  if (!subscription.eventTypes.some((pattern) => typeMatches(pattern, event.type))) return false;
  if (subscription.costCenterIds.length > 0) {
    const wanted = new Set(subscription.costCenterIds);
    if (!costCentersOf(event, context).some((id) => wanted.has(id))) return false;
  }
  if (subscription.societyNames.length > 0) {
    const wanted = new Set(subscription.societyNames);
    if (!societiesOf(event, context).some((name) => wanted.has(name))) return false;
  }
  return true;
}
