/**
 * The tally of fleetChanges (pure): per bucket and group, the cars added, removed, moved in
 * and out, and the count at the bucket's end. A car's group at each instant comes from its
 * segments (see timeline.ts); outside the filter it is in no group, so entering or leaving the
 * filter by a change is a move in or out. A car whose cost center is created after it (its events
 * arrive from another owner) appears in its cost center's group then: added there, and removed
 * from the group it was counted in while its cost center was unknown.
 */
import { bucketIndexOf, type Bucket } from './buckets';
import { DIMENSIONS, passes, type Dimension, type ReportFilter } from './dimensions';
import { compareGroups } from './groupOrder';
import type { FleetChangeGroupModel } from './reportTypes';
import type { Segment } from './timeline';

interface Counts {
  added: number;
  removed: number;
  movedIn: number;
  movedOut: number;
}

/** A car's group over time: merged segments, each with its group's values (null: outside the filter). */
interface Membership {
  start: Date;
  startsAtCostCenterCreation: boolean;
  end: Date | null;
  key: string | null;
}

function membershipsOf(segments: readonly Segment[], groupBy: readonly Dimension[], filter: ReportFilter) {
  const memberships: Membership[] = [];
  for (const segment of segments) {
    const key = passes(segment.facts, filter)
      ? JSON.stringify(groupBy.map((dimension) => segment.facts[DIMENSIONS[dimension].fact]))
      : null;
    const last = memberships.at(-1);
    // A change that moves the car to no other group is no event of the report.
    if (last && last.end !== null && last.end.getTime() === segment.start.getTime() && last.key === key)
      last.end = segment.end;
    else
      memberships.push({
        start: segment.start,
        end: segment.end,
        key,
        startsAtCostCenterCreation: segment.startsAtCostCenterCreation,
      });
  }
  return memberships;
}

export function tallyChanges(
  carSegments: Iterable<readonly Segment[]>,
  buckets: readonly Bucket[],
  groupBy: readonly Dimension[],
  filter: ReportFilter,
): FleetChangeGroupModel[][] {
  const first = buckets[0];
  if (!first) return [];
  const deltas = buckets.map(() => new Map<string, Counts>());
  const initial = new Map<string, number>();
  const count = (instant: Date, key: string | null, field: keyof Counts) => {
    if (key === null) return;
    const index = bucketIndexOf(buckets, instant);
    if (index === -1) return;
    const counts = deltas[index]!.get(key) ?? { added: 0, removed: 0, movedIn: 0, movedOut: 0 };
    counts[field] += 1;
    deltas[index]!.set(key, counts);
  };
  for (const segments of carSegments) {
    const memberships = membershipsOf(segments, groupBy, filter);
    memberships.forEach((membership, index) => {
      const previous = memberships[index - 1];
      const next = memberships[index + 1];
      const adjacent = (a: Membership | undefined, b: Membership | undefined) =>
        a !== undefined && b !== undefined && a.end !== null && a.end.getTime() === b.start.getTime();
      // The car's group just before the period.
      if (
        membership.key !== null &&
        membership.start < first.start &&
        (membership.end === null || membership.end >= first.start)
      )
        initial.set(membership.key, (initial.get(membership.key) ?? 0) + 1);
      if (adjacent(previous, membership) && membership.startsAtCostCenterCreation) {
        count(membership.start, previous!.key, 'removed');
        count(membership.start, membership.key, 'added');
      } else if (adjacent(previous, membership)) {
        count(membership.start, previous!.key, 'movedOut');
        count(membership.start, membership.key, 'movedIn');
      } else count(membership.start, membership.key, 'added');
      if (membership.end !== null && !adjacent(membership, next)) count(membership.end, membership.key, 'removed');
    });
  }
  const running = new Map(initial);
  return deltas.map((bucket) => {
    for (const [key, counts] of bucket) {
      running.set(key, (running.get(key) ?? 0) + counts.added + counts.movedIn - counts.removed - counts.movedOut);
    }
    const keys = new Set([...bucket.keys(), ...[...running].filter(([, cars]) => cars > 0).map(([key]) => key)]);
    return [...keys]
      .map((key) => ({
        groupBy,
        values: JSON.parse(key) as (string | null)[],
        added: 0,
        removed: 0,
        movedIn: 0,
        movedOut: 0,
        ...bucket.get(key),
        carCountAtEnd: running.get(key) ?? 0,
      }))
      .sort((a, b) =>
        compareGroups({ carCount: a.carCountAtEnd, values: a.values }, { carCount: b.carCountAtEnd, values: b.values }),
      );
  });
}
