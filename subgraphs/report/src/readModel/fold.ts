/**
 * An entity's history as versions with validity intervals, folded from its events. Pure: the
 * store recomputes an entity's versions from all its stored events each time one arrives, so
 * whatever order the events came in, and however often, the versions are the same.
 */

/** What the fold needs of one stored event. */
export interface FoldEvent {
  action: 'created' | 'updated' | 'deleted';
  /** The entity's revision after the change (0 for a record older than events). */
  revision: number;
  /** The owner's sequence: orders events of the same revision (records older than events). */
  sequence: bigint;
  /** When the change was committed at its owner. */
  time: Date;
  changes: readonly { field: string; to: unknown }[];
}

/** The entity's state from validFrom (inclusive) to validTo (exclusive; null while current). */
export interface Version<F> {
  revision: number;
  validFrom: Date;
  validTo: Date | null;
  fields: F;
}

/** Reads the fields a version keeps from an event's changes (their `to` values); absent fields are left out. */
export type FieldPicker<F> = (changes: FoldEvent['changes']) => Partial<F>;

const byRevisionThenSequence = (a: FoldEvent, b: FoldEvent): number =>
  a.revision - b.revision || (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0);

/**
 * The versions of one entity: the state at revision n folds the changes of revisions <= n.
 * A version starts at its event's time and ends at the next event's; a delete closes the last
 * one. Updates before any create (its event not stored yet) make no version: the entity is
 * counted once its creation is known, and recomputing after it arrives includes them.
 */
export function foldVersions<F extends object>(events: readonly FoldEvent[], pick: FieldPicker<F>): Version<F>[] {
  const versions: Version<F>[] = [];
  let state: Partial<F> | null = null;
  const close = (time: Date) => {
    const open = versions.at(-1);
    if (open && open.validTo === null) open.validTo = time;
  };
  let previous: FoldEvent | undefined;
  for (const event of [...events].sort(byRevisionThenSequence)) {
    // The same event twice (the log keeps one, but the fold does not rely on it) is one change.
    if (previous && previous.sequence === event.sequence && previous.revision === event.revision) continue;
    previous = event;
    if (event.action === 'deleted') {
      close(event.time);
      state = null;
      continue;
    }
    if (event.action === 'created') state = { ...pick(event.changes) };
    else if (state === null) continue;
    else state = Object.assign({}, state, pick(event.changes));
    close(event.time);
    versions.push({ revision: event.revision, validFrom: event.time, validTo: null, fields: { ...state } as F });
  }
  return versions;
}

/** The version valid at `instant` (validFrom <= instant < validTo), if any. */
export function versionAt<F>(versions: readonly Version<F>[], instant: Date): Version<F> | undefined {
  const at = instant.getTime();
  return versions.find(
    (version) => version.validFrom.getTime() <= at && (version.validTo === null || version.validTo.getTime() > at),
  );
}
