/**
 * Applies owners' events to the read model, in the consumer's transaction (the one that also
 * moves its cursor): each event is logged once (by owner and event id), then the versions of
 * every entity a new event reached are recomputed from all of its events the log holds, and, for
 * cars, the rollup of live cars moves with their current versions. A late or repeated event
 * therefore converges to the same state. A page of events is applied at once, in a few
 * statements (see applyReportEvents); one event is a page of one.
 */
import { type CloudEvent, type ConsumerSql, revisionOf, sequenceOf } from '@car-check/events';
import { isId } from '@car-check/subgraph-kit';
import { Prisma } from '../__generated__/prisma/client';
import { EVENT_OWNERS, type EventOwner } from '../config';
import {
  actionOf,
  pickCar,
  pickCostCenter,
  pickUser,
  type CarFields,
  type CostCenterFields,
  type UserFields,
} from './entities';
import { dropCheckpointsFrom, earliestDifference, takeCheckpointsDue } from './checkpoints';
import { foldVersions, type FieldPicker, type FoldEvent, type Version } from './fold';

/** The owner of an event, from its source `/subgraphs/<name>`; only the read model's owners. */
function ownerOf(event: CloudEvent): EventOwner {
  const owner = /^\/subgraphs\/([a-z-]+)$/.exec(String(event?.source))?.[1];
  const known = EVENT_OWNERS.find((candidate) => candidate === owner);
  if (!known) throw new Error(`an event of an unexpected source ${JSON.stringify(event?.source)}`);
  return known;
}

/** The checked parts of an event the log keeps. */
function recordOf(event: CloudEvent) {
  const owner = ownerOf(event);
  const sequence = sequenceOf(event);
  if (sequence === null) throw new Error(`bad sequence ${JSON.stringify(event?.sequence)}`);
  if (typeof event.id !== 'string' || event.id.length === 0) throw new Error('an event needs an id');
  if (!isId(event.subject)) throw new Error(`bad subject ${JSON.stringify(event.subject)}`);
  const time = new Date(event.time);
  if (Number.isNaN(time.getTime())) throw new Error(`bad time ${JSON.stringify(event.time)}`);
  const changes = event.data?.changes;
  if (!Array.isArray(changes)) throw new Error('the event has no changes list');
  const action = actionOf(owner, event.type);
  return { owner, sequence, subject: event.subject, time, changes, action, revision: revisionOf(event) };
}

/** Logs an event (once) and recomputes its entity; a repeated event changes nothing. */
export const applyReportEvent = (tx: ConsumerSql, event: CloudEvent): Promise<void> => applyReportEvents(tx, [event]);

/**
 * Rows per multi-row INSERT: a statement stays far under PostgreSQL's 65,535 bind parameters
 * (8 per logged event, at most 7 per version, 4 per rollup key).
 */
const ROWS_PER_STATEMENT = 1_000;

function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/**
 * Logs a page of events (each once) and recomputes every entity they touch once, in a few
 * statements whatever the page's size: the same state as applying them one by one. Every event
 * is checked before anything is stored, so one bad event refuses the page (the consumer then
 * applies the events one by one, and dead-letters precisely that one).
 */
export async function applyReportEvents(tx: ConsumerSql, events: readonly CloudEvent[]): Promise<void> {
  const records = new Map<string, ReturnType<typeof recordOf> & { id: string; type: string }>();
  for (const event of events) {
    const record = recordOf(event);
    // Every field the pickers check: a bad value refuses the event before anything is stored.
    checkOf(record.owner)(record.changes);
    // The same event twice in a page is logged once, as it would be one after the other.
    const key = JSON.stringify([record.owner, event.id]);
    if (!records.has(key)) records.set(key, { ...record, id: event.id, type: event.type });
  }
  const touched: Record<EventOwner, Set<string>> = { car: new Set(), 'cost-center': new Set(), user: new Set() };
  for (const chunk of chunks([...records.values()])) {
    const rows = chunk.map(
      (record) =>
        Prisma.sql`(${record.owner}, ${record.id}, ${record.sequence.toString()}::bigint, ${record.type}, ${record.subject}::uuid,
          ${record.revision}::int, ${record.time}, ${JSON.stringify(record.changes)}::jsonb)`,
    );
    const inserted = await tx.$queryRaw<{ owner: EventOwner; subject: string }[]>`
      INSERT INTO report_event (owner, event_id, sequence, type, subject, revision, time, changes)
      VALUES ${Prisma.join(rows)}
      ON CONFLICT (owner, event_id) DO NOTHING
      RETURNING owner, subject::text AS subject`;
    for (const { owner, subject } of inserted) touched[owner].add(subject);
  }
  // Only entities a new event reached: a page of repeated events changes nothing.
  if (touched.car.size > 0) {
    await recomputeCars(tx, [...touched.car]);
    await takeCheckpointsDue(tx, touched.car.size);
  }
  if (touched['cost-center'].size > 0) await recomputeVersions(tx, 'cost-center', [...touched['cost-center']]);
  if (touched.user.size > 0) await recomputeVersions(tx, 'user', [...touched.user]);
}

interface LoggedEvent {
  subject: string;
  type: string;
  revision: number;
  sequence: string;
  time: Date;
  changes: FoldEvent['changes'];
}

/** Every logged event of the entities `ids` of `owner`, by entity id (lower-case, as PostgreSQL writes it). */
async function eventsOf(tx: ConsumerSql, owner: EventOwner, ids: readonly string[]): Promise<Map<string, FoldEvent[]>> {
  const rows = await tx.$queryRaw<LoggedEvent[]>`
    SELECT subject::text AS subject, type, revision, sequence::text AS sequence, time, changes
    FROM report_event WHERE owner = ${owner} AND subject = ANY(${ids}::uuid[])`;
  const bySubject = new Map<string, FoldEvent[]>();
  for (const row of rows) {
    const list = bySubject.get(row.subject) ?? [];
    list.push({
      action: actionOf(owner, row.type),
      revision: row.revision,
      sequence: BigInt(row.sequence),
      time: new Date(row.time),
      changes: row.changes,
    });
    bySubject.set(row.subject, list);
  }
  return bySubject;
}

/** The rollup's key of a car version: '' stands for a missing value (a car without a cost center). */
const rollupKey = (fields: CarFields) => ({
  costCenterKey: fields.costCenterId ?? '',
  brand: fields.brand ?? '',
  model: fields.model ?? '',
});

/**
 * Moves the rollup of live cars by the cars' current versions before and after: the changes are
 * summed per key first, so a page moves each key once (a car that moved and moved back, none).
 */
async function moveRollup(tx: ConsumerSql, before: readonly CarFields[], after: readonly CarFields[]) {
  const deltas = new Map<string, ReturnType<typeof rollupKey> & { delta: number }>();
  const add = (fields: CarFields, delta: number) => {
    const key = rollupKey(fields);
    const id = JSON.stringify([key.costCenterKey, key.brand, key.model]);
    const entry = deltas.get(id) ?? { ...key, delta: 0 };
    entry.delta += delta;
    deltas.set(id, entry);
  };
  for (const fields of before) add(fields, -1);
  for (const fields of after) add(fields, 1);
  const moves = [...deltas.values()].filter(({ delta }) => delta !== 0);
  if (moves.length === 0) return;
  for (const chunk of chunks(moves)) {
    const rows = chunk.map(
      ({ costCenterKey, brand, model, delta }) => Prisma.sql`(${costCenterKey}, ${brand}, ${model}, ${delta}::int)`,
    );
    await tx.$executeRaw`
      INSERT INTO fleet_current (cost_center_key, brand, model, car_count) VALUES ${Prisma.join(rows)}
      ON CONFLICT (cost_center_key, brand, model) DO UPDATE SET car_count = fleet_current.car_count + EXCLUDED.car_count`;
  }
  if (moves.some(({ delta }) => delta < 0)) await tx.$executeRaw`DELETE FROM fleet_current WHERE car_count <= 0`;
}

const current = <F>(versions: Version<F>[]): F | undefined => {
  const last = versions.at(-1);
  return last && last.validTo === null ? last.fields : undefined;
};

const textValue = (value: string | null | undefined) => Prisma.sql`${value ?? null}::text`;
const idValue = (value: string | null | undefined) => Prisma.sql`${value ?? null}::uuid`;

/** How an owner's entities become versions: the table (keyed by `idColumn`), the fields' columns and SQL values. */
interface Projection<F extends object> {
  table: { name: string; idColumn: string; columns: string[] };
  pick: FieldPicker<F>;
  values: (fields: F) => Prisma.Sql[];
}

const carProjection: Projection<CarFields> = {
  table: { name: 'car_version', idColumn: 'car_id', columns: ['brand', 'model', 'cost_center_id'] },
  pick: pickCar,
  values: (fields) => [textValue(fields.brand), textValue(fields.model), idValue(fields.costCenterId)],
};

const projections = {
  car: carProjection,
  'cost-center': {
    table: { name: 'cost_center_version', idColumn: 'id', columns: ['code', 'society_name', 'manager_id'] },
    pick: pickCostCenter,
    values: (fields) => [textValue(fields.code), textValue(fields.societyName), idValue(fields.managerId)],
  } satisfies Projection<CostCenterFields>,
  user: {
    table: { name: 'user_version', idColumn: 'id', columns: ['username', 'is_active'] },
    pick: pickUser,
    values: (fields) => [textValue(fields.username), Prisma.sql`${fields.isActive ?? null}::boolean`],
  } satisfies Projection<UserFields>,
};

/** The checks of an owner's events: its picker (which throws on a bad value). */
const checkOf = (owner: EventOwner): ((changes: FoldEvent['changes']) => unknown) => projections[owner].pick;

/**
 * Replaces the versions of the entities `ids` with those folded from all their logged events:
 * one read, one delete and a few multi-row inserts, whatever the number of entities.
 */
async function replaceVersions<F extends object>(
  tx: ConsumerSql,
  owner: EventOwner,
  { table, pick, values }: Projection<F>,
  ids: readonly string[],
): Promise<Map<string, Version<F>[]>> {
  const events = await eventsOf(tx, owner, ids);
  const versions = new Map(ids.map((id) => [id, foldVersions(events.get(id) ?? [], pick)]));
  await tx.$executeRaw`DELETE FROM ${Prisma.raw(table.name)} WHERE ${Prisma.raw(table.idColumn)} = ANY(${ids}::uuid[])`;
  const columns = [table.idColumn, 'revision', 'valid_from', 'valid_to', ...table.columns].join(', ');
  const rows = [...versions].flatMap(([id, list]) =>
    list.map(
      ({ revision, validFrom, validTo, fields }) =>
        Prisma.sql`(${Prisma.join([
          Prisma.sql`${id}::uuid`,
          Prisma.sql`${revision}::int`,
          Prisma.sql`${validFrom}`,
          Prisma.sql`${validTo}::timestamptz`,
          ...values(fields),
        ])})`,
    ),
  );
  for (const chunk of chunks(rows))
    await tx.$executeRaw`INSERT INTO ${Prisma.raw(table.name)} (${Prisma.raw(columns)}) VALUES ${Prisma.join(chunk)}`;
  return versions;
}

const recomputeVersions = (tx: ConsumerSql, owner: 'cost-center' | 'user', ids: readonly string[]) =>
  owner === 'user'
    ? replaceVersions(tx, owner, projections.user, ids)
    : replaceVersions(tx, owner, projections['cost-center'], ids);

const withDefaults = (fields: Partial<CarFields> | undefined): CarFields | undefined =>
  fields && { brand: fields.brand ?? null, model: fields.model ?? null, costCenterId: fields.costCenterId ?? null };

/** A car version's key in the rollup and the checkpoints. */
const keyOf = (fields: CarFields): string => {
  const { costCenterKey, brand, model } = rollupKey(fields);
  return JSON.stringify([costCenterKey, brand, model]);
};

/**
 * Recomputes cars' versions, moves the rollup from their current versions before to those
 * after, and drops the checkpoints the change reaches back to (a late event's).
 */
async function recomputeCars(tx: ConsumerSql, ids: readonly string[]): Promise<void> {
  const stored = await tx.$queryRaw<(CarFields & { carId: string; validFrom: Date; validTo: Date | null })[]>`
    SELECT car_id::text AS "carId", valid_from AS "validFrom", valid_to AS "validTo",
      brand, model, cost_center_id::text AS "costCenterId"
    FROM car_version WHERE car_id = ANY(${ids}::uuid[])`;
  const before = stored.filter((version) => version.validTo === null);
  const versions = await replaceVersions(tx, 'car', carProjection, ids);
  const after = [...versions.values()].flatMap((list) => withDefaults(current(list)) ?? []);
  await moveRollup(tx, before, after);

  const earliest = [...versions].reduce<Date | null>((first, [id, list]) => {
    const was = stored
      .filter((version) => version.carId === id)
      .map(({ validFrom, validTo, ...fields }) => ({ validFrom, validTo, key: keyOf(fields) }));
    const is = list.map(({ validFrom, validTo, fields }) => ({
      validFrom,
      validTo,
      key: keyOf(withDefaults(fields)!),
    }));
    const changed = earliestDifference(was, is);
    return changed && (!first || changed < first) ? changed : first;
  }, null);
  if (earliest) await dropCheckpointsFrom(tx, earliest);
}

/** Empties what one owner's events made (before a rebuild replays its feed). */
export async function resetOwner(tx: ConsumerSql, owner: EventOwner): Promise<void> {
  await tx.$executeRaw`DELETE FROM report_event WHERE owner = ${owner}`;
  if (owner === 'car') {
    await tx.$executeRaw`DELETE FROM car_version`;
    await tx.$executeRaw`DELETE FROM fleet_current`;
    await tx.$executeRaw`DELETE FROM fleet_checkpoint`;
  } else if (owner === 'cost-center') await tx.$executeRaw`DELETE FROM cost_center_version`;
  else await tx.$executeRaw`DELETE FROM user_version`;
}
