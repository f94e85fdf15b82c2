/**
 * Checkpoints of the live cars, so that a report as of a past instant reads a few thousand rows
 * rather than every car version valid then (half the fleet's history, for an instant half-way).
 *
 * A checkpoint at C holds, per (cost center, brand, model), the cars valid at C. The cars at T
 * (T >= C) are those at C, plus the versions that started in (C, T] and are still valid at T,
 * minus those valid at C that ended in (C, T]. A checkpoint is taken once CHECKPOINT_EVERY car
 * versions start after the last one, at the instant of the last of them, from the previous
 * checkpoint the same way; so each report reads at most about that many versions besides the
 * checkpoint's groups.
 *
 * A late event (one older than a checkpoint, a replay, a correction) changes what was valid
 * at the checkpoints after its instant: applying it drops them (in the same transaction), and
 * they are taken again as versions accumulate. Reports stay exact either way; only their cost
 * depends on the checkpoints.
 */
import type { ConsumerSql } from '@car-check/events';
import { Prisma } from '../__generated__/prisma/client';

/** Car versions between two checkpoints. */
export const CHECKPOINT_EVERY = 5_000;

/** Checkpoints taken per page of events at most: a rebuild's first pages catch up over the next ones. */
const CHECKPOINTS_PER_PAGE = 4;

/** When a car was which rollup key ('' for a missing value), as its versions say. */
export interface KeyInterval {
  validFrom: Date;
  validTo: Date | null;
  key: string;
}

const keyAt = (intervals: readonly KeyInterval[], at: number): string | undefined =>
  intervals.find(
    (interval) => interval.validFrom.getTime() <= at && (interval.validTo === null || interval.validTo.getTime() > at),
  )?.key;

/**
 * The first instant at which a car's rollup key (or its existence) differs between two lists of
 * its versions; null when they agree at every instant. The key only changes at an interval's
 * bound, so the bounds are the only instants to compare.
 */
export function earliestDifference(before: readonly KeyInterval[], after: readonly KeyInterval[]): Date | null {
  const bounds = [...before, ...after]
    .flatMap((interval) => [interval.validFrom.getTime(), ...(interval.validTo ? [interval.validTo.getTime()] : [])])
    .sort((a, b) => a - b);
  for (const bound of bounds) if (keyAt(before, bound) !== keyAt(after, bound)) return new Date(bound);
  return null;
}

/** Drops the checkpoints a change at `from` (or later) makes wrong. */
export async function dropCheckpointsFrom(tx: ConsumerSql, from: Date): Promise<void> {
  await tx.$executeRaw`DELETE FROM fleet_checkpoint WHERE at >= ${from}`;
}

/** The latest checkpoint at or before `instant`, if any. */
async function checkpointBefore(db: ConsumerSql, instant: Date): Promise<Date | null> {
  const [row] = await db.$queryRaw<
    { at: Date | null }[]
  >`SELECT max(at) AS at FROM fleet_checkpoint WHERE at <= ${instant}`;
  return row?.at ? new Date(row.at) : null;
}

/**
 * Rows (n, cost_center_id, brand, model) whose n sum, per key, to the cars valid at `instant`:
 * the checkpoint `base` and the versions changed since, or every version valid then without one.
 */
function carCountsAt(instant: Date, base: Date | null): Prisma.Sql {
  if (base === null) {
    return Prisma.sql`
      SELECT 1 AS n, c.cost_center_id, c.brand, c.model FROM car_version c
      WHERE c.valid_from <= ${instant} AND (c.valid_to IS NULL OR c.valid_to > ${instant})`;
  }
  return Prisma.sql`
    SELECT k.car_count AS n, NULLIF(k.cost_center_key, '')::uuid AS cost_center_id,
      NULLIF(k.brand, '') AS brand, NULLIF(k.model, '') AS model
    FROM fleet_checkpoint_count k WHERE k.at = ${base}
    UNION ALL
    SELECT 1, c.cost_center_id, c.brand, c.model FROM car_version c
    WHERE c.valid_from > ${base} AND c.valid_from <= ${instant} AND (c.valid_to IS NULL OR c.valid_to > ${instant})
    UNION ALL
    SELECT -1, c.cost_center_id, c.brand, c.model FROM car_version c
    WHERE c.valid_to > ${base} AND c.valid_to <= ${instant} AND c.valid_from <= ${base}`;
}

/**
 * The live cars at a past instant per (cost center, brand, model), with the cost center's
 * society and manager at that instant: the rows a report groups (n cars each), like the rollup
 * for now.
 */
export async function carsAtInstant(db: ConsumerSql, instant: Date): Promise<Prisma.Sql> {
  const base = await checkpointBefore(db, instant);
  return Prisma.sql`
    SELECT d.n, d.cost_center_id, d.brand, d.model, cc.society_name, cc.manager_id
    FROM (
      SELECT SUM(x.n)::int AS n, x.cost_center_id, x.brand, x.model
      FROM (${carCountsAt(instant, base)}) x
      GROUP BY x.cost_center_id, x.brand, x.model
    ) d
    LEFT JOIN cost_center_version cc ON cc.id = d.cost_center_id
      AND cc.valid_from <= ${instant} AND (cc.valid_to IS NULL OR cc.valid_to > ${instant})
    WHERE d.n <> 0`;
}

/**
 * Cars recomputed since the last look for a checkpoint due, in this process: looking reads
 * up to CHECKPOINT_EVERY index entries, so it is done every tenth of that, not on every page.
 * Only when checkpoints are taken depends on it, never what a report answers.
 */
let recomputedSinceLook = 0;

/** After a page recomputed `cars` cars: takes the checkpoints due, looking only now and then. */
export async function takeCheckpointsDue(tx: ConsumerSql, cars: number): Promise<void> {
  recomputedSinceLook += cars;
  if (recomputedSinceLook < CHECKPOINT_EVERY / 10) return;
  recomputedSinceLook = 0;
  await takeCheckpoints(tx);
}

/** Takes the checkpoints that CHECKPOINT_EVERY (or `every`) versions since the last one call for. */
export async function takeCheckpoints(tx: ConsumerSql, every = CHECKPOINT_EVERY): Promise<void> {
  for (let taken = 0; taken < CHECKPOINTS_PER_PAGE; taken += 1) {
    const [last] = await tx.$queryRaw<{ at: Date | null }[]>`SELECT max(at) AS at FROM fleet_checkpoint`;
    const previous = last?.at ? new Date(last.at) : null;
    // The instant of the every-th version after the last checkpoint, if there are that many.
    const [next] = await tx.$queryRaw<{ at: Date }[]>`
      SELECT valid_from AS at FROM car_version
      WHERE ${previous}::timestamptz IS NULL OR valid_from > ${previous}::timestamptz
      ORDER BY valid_from OFFSET ${every - 1} LIMIT 1`;
    if (!next) return;
    const at = new Date(next.at);
    await tx.$executeRaw`INSERT INTO fleet_checkpoint (at) VALUES (${at}::timestamptz)`;
    await tx.$executeRaw`
      INSERT INTO fleet_checkpoint_count (at, cost_center_key, brand, model, car_count)
      SELECT ${at}::timestamptz, COALESCE(x.cost_center_id::text, ''), COALESCE(x.brand, ''), COALESCE(x.model, ''), SUM(x.n)::int
      FROM (${carCountsAt(at, previous)}) x
      GROUP BY 1, 2, 3, 4
      HAVING SUM(x.n) <> 0`;
  }
}
