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
 * The cost centers an event is about: the cost center itself for `cost-center.*`, the
 * car's cost center (before and after) for `car.*`. User events are about none.
 */
export function costCentersOf(event: CloudEvent): string[] {
  const ids = event.type.startsWith('cost-center.') ? [event.subject] : valuesOf(event, 'costCenterId');
  return ids.filter((id): id is string => typeof id === 'string');
}

/** The society names a `cost-center.*` event carries (before and after); other events carry none. */
export function societiesOf(event: CloudEvent): string[] {
  if (!event.type.startsWith('cost-center.')) return [];
  return valuesOf(event, 'societyName').filter((name): name is string => typeof name === 'string');
}

/**
 * Whether an endpoint wants an event: one of its types matches, and each filter it sets
 * (cost centers, societies) matches too. A filter set on an event that carries no such
 * value (a user event and a cost-center filter) does not match.
 */
export function matches(subscription: Subscription, event: CloudEvent): boolean {
  if (!subscription.eventTypes.some((pattern) => typeMatches(pattern, event.type))) return false;
  if (subscription.costCenterIds.length > 0) {
    const wanted = new Set(subscription.costCenterIds);
    if (!costCentersOf(event).some((id) => wanted.has(id))) return false;
  }
  if (subscription.societyNames.length > 0) {
    const wanted = new Set(subscription.societyNames);
    if (!societiesOf(event).some((name) => wanted.has(name))) return false;
  }
  return true;
}
