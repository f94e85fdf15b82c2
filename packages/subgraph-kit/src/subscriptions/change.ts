import type { EventChange } from '@car-check/events';

/** What a change did to its entity: the SDL's `ChangeKind`. */
export type ChangeKind = 'CREATED' | 'UPDATED' | 'DELETED';

/**
 * One committed change to an entity, as a subscription field delivers it: the
 * parent value of a subgraph's `<Entity>Change` type (its other fields, such as
 * the entity itself, are resolved from it per event, with a fresh context).
 */
export interface EntityChange {
  kind: ChangeKind;
  /** The entity's revision after the change (0 for audit records older than revisions). */
  revision: number;
  changedFields: string[];
  /** The opaque position of this event in the subgraph's stream (see cursor.ts). */
  cursor: string;
  entityId: string;
  /** The entity, as the audit record names it (e.g. `Car`). */
  entity: string;
  /** The outbox sequence: the total commit order of the subgraph's events. */
  sequence: bigint;
  /** Old and new values of the changed fields, for filters (never served as such). */
  changes: EventChange[];
}
