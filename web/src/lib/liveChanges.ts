/**
 * How the console follows live changes: when to reconnect, when its cursor is no good, and when a
 * change means the visible page must be read again. Pure functions, no React or Apollo: unit-tested
 * in liveChanges.test.ts; the hook that applies them is useCarChanges.ts.
 */

/** Where a live stream stands, as the page's banner shows it. */
export type LiveState =
  | 'connecting' // the first stream is being opened
  | 'live' // the gateway answered the stream: changes arrive as they are committed
  | 'reconnecting' // the stream ended or could not open: retrying, from the last cursor received
  | 'off'; // the gateway refuses this subscription for good (the caller may not follow it)

/** Delays between attempts to reopen a stream: quick at first (a restart is short), then every 5 s. */
const RECONNECT_DELAYS_MS = [500, 1_000, 2_000, 4_000, 5_000];

export function reconnectDelayMs(attempt: number): number {
  return RECONNECT_DELAYS_MS[Math.min(Math.max(attempt, 0), RECONNECT_DELAYS_MS.length - 1)]!;
}

/** What to do about an error that ended (or refused) a stream, by its `extensions.code`. */
export type StreamEnd = 'resume' | 'resync' | 'off';

/**
 * `resume`: reopen after the last cursor (the gateway shut down, a subgraph stayed away, the client fell
 * behind, the network failed). `resync`: the cursor cannot resume (older than the retained history,
 * or not one the graph gave out): read the page again and follow from now. `off`: the caller may not
 * follow these changes; retrying cannot help. (An ended session is not handled here: the next request
 * answers 401 and the console signs out.)
 */
export function streamEndOf(codes: readonly string[]): StreamEnd {
  if (codes.some((code) => code === 'OUT_OF_RANGE' || code === 'INVALID_ARGUMENT')) return 'resync';
  if (codes.some((code) => code === 'PERMISSION_DENIED')) return 'off';
  return 'resume';
}

/** The part of a change the list looks at (the `CarChanges` subscription's event). */
export interface ListedChange {
  kind: 'CREATED' | 'UPDATED' | 'DELETED';
  carId: string;
  changedFields: readonly string[];
}

/**
 * Whether a change alters what the visible page shows, so that it must be read again: a car on the page
 * (its fields), a creation or a deletion (the count, and which cars the page holds), or a change to a
 * field the page filters or sorts by (a car off the page may now belong on it). A car off the page
 * changed in another field leaves the page as it is.
 */
export function listNeedsRefetch(
  change: ListedChange,
  visibleIds: ReadonlySet<string>,
  fieldsInUse: ReadonlySet<string>,
): boolean {
  if (change.kind !== 'UPDATED') return true;
  if (visibleIds.has(change.carId)) return true;
  return change.changedFields.some((field) => fieldsInUse.has(field));
}
