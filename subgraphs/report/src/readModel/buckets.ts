/** The buckets of a period: calendar days, ISO weeks (Monday first) or months, in UTC. */
import { invalidArgument } from '@car-check/service-kit';

export type Granularity = 'DAY' | 'WEEK' | 'MONTH';

export interface Bucket {
  /** Inclusive: the later of the calendar period's start and the period's `from`. */
  start: Date;
  /** Exclusive: the earlier of the calendar period's end and the period's `to`. */
  end: Date;
}

const DAY_MS = 86_400_000;

/** The start of the calendar day, ISO week or month that holds `instant` (UTC). */
export function periodStart(instant: Date, granularity: Granularity): Date {
  const day = Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate());
  if (granularity === 'DAY') return new Date(day);
  if (granularity === 'WEEK') return new Date(day - ((instant.getUTCDay() + 6) % 7) * DAY_MS);
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1));
}

/** The start of the next calendar day, ISO week or month after the one starting at `start`. */
export function nextPeriod(start: Date, granularity: Granularity): Date {
  if (granularity === 'DAY') return new Date(start.getTime() + DAY_MS);
  if (granularity === 'WEEK') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/**
 * The buckets of [from, to): one per calendar period it touches, the first and last cut to the
 * period. More than `max` is INVALID_ARGUMENT (naming the limit), before anything is read.
 */
export function bucketsOf(from: Date, to: Date, granularity: Granularity, max: number): Bucket[] {
  const buckets: Bucket[] = [];
  for (let start = periodStart(from, granularity); start < to; start = nextPeriod(start, granularity)) {
    if (buckets.length === max) {
      throw invalidArgument(
        `The period has more than ${max} ${granularity} buckets; shorten it or use a coarser granularity.`,
        {
          argument: 'period',
          field: 'period',
          max,
        },
      );
    }
    const end = nextPeriod(start, granularity);
    buckets.push({ start: start < from ? from : start, end: end > to ? to : end });
  }
  return buckets;
}

/** The index of the bucket that holds `instant`, or -1 outside them (buckets sorted and contiguous). */
export function bucketIndexOf(buckets: readonly Bucket[], instant: Date): number {
  let [low, high] = [0, buckets.length - 1];
  while (low <= high) {
    const middle = (low + high) >> 1;
    const bucket = buckets[middle]!;
    if (instant < bucket.start) high = middle - 1;
    else if (instant >= bucket.end) low = middle + 1;
    else return middle;
  }
  return -1;
}
