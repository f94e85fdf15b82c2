/**
 * Applies one owner's event to the read model, in the consumer's transaction (the one that also
 * moves its cursor): the event is logged once (by owner and event id), then its entity's versions
 * are recomputed from every event of it the log holds, and, for a car, the rollup of live cars
 * moves with its current version. A late or repeated event therefore converges to the same state.
 */
import { type CloudEvent, type ConsumerSql, revisionOf, sequenceOf } from '@car-check/events';
import { isId } from '@car-check/subgraph-kit';
import { Prisma } from '../__generated__/prisma/client';
import { EVENT_OWNERS, type EventOwner } from '../config';
import { actionOf, pickCar, pickCostCenter, pickUser, type CarFields } from './entities';
import { foldVersions, type FoldEvent, type Version } from './fold';

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
export async function applyReportEvent(tx: ConsumerSql, event: CloudEvent): Promise<void> {
  const record = recordOf(event);
  // Every field the pickers check: a bad value refuses the event before anything is stored.
  recompute[record.owner].check(record.changes);
  const inserted = await tx.$executeRaw`
    INSERT INTO report_event (owner, event_id, sequence, type, subject, revision, time, changes)
    VALUES (${record.owner}, ${event.id}, ${record.sequence.toString()}::bigint, ${event.type}, ${record.subject}::uuid,
      ${record.revision}::int, ${record.time}, ${JSON.stringify(record.changes)}::jsonb)
    ON CONFLICT (owner, event_id) DO NOTHING`;
  if (inserted === 0) return;
  await recompute[record.owner].apply(tx, record.subject);
}

interface LoggedEvent {
  type: string;
  revision: number;
  sequence: string;
  time: Date;
  changes: FoldEvent['changes'];
}

async function eventsOf(tx: ConsumerSql, owner: EventOwner, subject: string): Promise<FoldEvent[]> {
  const rows = await tx.$queryRaw<LoggedEvent[]>`
    SELECT type, revision, sequence::text AS sequence, time, changes
    FROM report_event WHERE owner = ${owner} AND subject = ${subject}::uuid`;
  return rows.map((row) => ({
    action: actionOf(owner, row.type),
    revision: row.revision,
    sequence: BigInt(row.sequence),
    time: new Date(row.time),
    changes: row.changes,
  }));
}

/** The rollup's key of a car version: '' stands for a missing value (a car without a cost center). */
const rollupKey = (fields: CarFields) => ({
  costCenterKey: fields.costCenterId ?? '',
  brand: fields.brand ?? '',
  model: fields.model ?? '',
});

async function moveRollup(tx: ConsumerSql, before: CarFields | undefined, after: CarFields | undefined) {
  const [from, to] = [before && rollupKey(before), after && rollupKey(after)];
  if (from && to && from.costCenterKey === to.costCenterKey && from.brand === to.brand && from.model === to.model)
    return;
  if (from) {
    await tx.$executeRaw`
      UPDATE fleet_current SET car_count = car_count - 1
      WHERE cost_center_key = ${from.costCenterKey} AND brand = ${from.brand} AND model = ${from.model}`;
    await tx.$executeRaw`
      DELETE FROM fleet_current
      WHERE cost_center_key = ${from.costCenterKey} AND brand = ${from.brand} AND model = ${from.model} AND car_count <= 0`;
  }
  if (to) {
    await tx.$executeRaw`
      INSERT INTO fleet_current (cost_center_key, brand, model, car_count) VALUES (${to.costCenterKey}, ${to.brand}, ${to.model}, 1)
      ON CONFLICT (cost_center_key, brand, model) DO UPDATE SET car_count = fleet_current.car_count + 1`;
  }
}

const current = <F>(versions: Version<F>[]): F | undefined => {
  const last = versions.at(-1);
  return last && last.validTo === null ? last.fields : undefined;
};

/**
 * Replaces an entity's versions in `table` (keyed by `idColumn`) with `versions`, in one
 * statement each: `columns` names the fields' columns, `values` gives their SQL values.
 */
async function replaceVersions<F>(
  tx: ConsumerSql,
  table: { name: string; idColumn: string; columns: string[] },
  id: string,
  versions: Version<F>[],
  values: (fields: F) => Prisma.Sql[],
): Promise<void> {
  await tx.$executeRaw`DELETE FROM ${Prisma.raw(table.name)} WHERE ${Prisma.raw(table.idColumn)} = ${id}::uuid`;
  if (versions.length === 0) return;
  const columns = [table.idColumn, 'revision', 'valid_from', 'valid_to', ...table.columns].join(', ');
  const rows = versions.map(
    ({ revision, validFrom, validTo, fields }) =>
      Prisma.sql`(${Prisma.join([
        Prisma.sql`${id}::uuid`,
        Prisma.sql`${revision}::int`,
        Prisma.sql`${validFrom}`,
        Prisma.sql`${validTo}::timestamptz`,
        ...values(fields),
      ])})`,
  );
  await tx.$executeRaw`INSERT INTO ${Prisma.raw(table.name)} (${Prisma.raw(columns)}) VALUES ${Prisma.join(rows)}`;
}

const textValue = (value: string | null | undefined) => Prisma.sql`${value ?? null}::text`;
const idValue = (value: string | null | undefined) => Prisma.sql`${value ?? null}::uuid`;

async function recomputeCar(tx: ConsumerSql, id: string): Promise<void> {
  const versions = foldVersions(await eventsOf(tx, 'car', id), pickCar);
  const [before] = await tx.$queryRaw<CarFields[]>`
    SELECT brand, model, cost_center_id::text AS "costCenterId" FROM car_version WHERE car_id = ${id}::uuid AND valid_to IS NULL`;
  const table = { name: 'car_version', idColumn: 'car_id', columns: ['brand', 'model', 'cost_center_id'] };
  await replaceVersions(tx, table, id, versions, (fields) => [
    textValue(fields.brand),
    textValue(fields.model),
    idValue(fields.costCenterId),
  ]);
  await moveRollup(tx, before, withDefaults(current(versions)));
}

const withDefaults = (fields: Partial<CarFields> | undefined): CarFields | undefined =>
  fields && { brand: fields.brand ?? null, model: fields.model ?? null, costCenterId: fields.costCenterId ?? null };

async function recomputeCostCenter(tx: ConsumerSql, id: string): Promise<void> {
  const versions = foldVersions(await eventsOf(tx, 'cost-center', id), pickCostCenter);
  const table = { name: 'cost_center_version', idColumn: 'id', columns: ['code', 'society_name', 'manager_id'] };
  await replaceVersions(tx, table, id, versions, (fields) => [
    textValue(fields.code),
    textValue(fields.societyName),
    idValue(fields.managerId),
  ]);
}

async function recomputeUser(tx: ConsumerSql, id: string): Promise<void> {
  const versions = foldVersions(await eventsOf(tx, 'user', id), pickUser);
  const table = { name: 'user_version', idColumn: 'id', columns: ['username', 'is_active'] };
  await replaceVersions(tx, table, id, versions, (fields) => [
    textValue(fields.username),
    Prisma.sql`${fields.isActive ?? null}::boolean`,
  ]);
}

const recompute: Record<
  EventOwner,
  { check: (changes: FoldEvent['changes']) => void; apply: (tx: ConsumerSql, id: string) => Promise<void> }
> = {
  car: { check: pickCar, apply: recomputeCar },
  'cost-center': { check: pickCostCenter, apply: recomputeCostCenter },
  user: { check: pickUser, apply: recomputeUser },
};

/** Empties what one owner's events made (before a rebuild replays its feed). */
export async function resetOwner(tx: ConsumerSql, owner: EventOwner): Promise<void> {
  await tx.$executeRaw`DELETE FROM report_event WHERE owner = ${owner}`;
  if (owner === 'car') {
    await tx.$executeRaw`DELETE FROM car_version`;
    await tx.$executeRaw`DELETE FROM fleet_current`;
  } else if (owner === 'cost-center') await tx.$executeRaw`DELETE FROM cost_center_version`;
  else await tx.$executeRaw`DELETE FROM user_version`;
}
