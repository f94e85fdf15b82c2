/**
 * What a consumer keeps in its own database: its cursor (`event_cursor`), its advisory lock
 * (one applier per consumer name at a time) and its dead letters (`event_dead_letter`).
 */
import type { CloudEvent } from './cloudEvent';
import type { RawSql } from '../rawSql';

/** Database access the consumer needs: any Prisma client or interactive transaction. */
export type ConsumerSql = RawSql;

/** Runs `work` in one database transaction (e.g. `(work, o) => prisma.$transaction(work, { timeout: o?.timeoutMs })`). */
export type ConsumerTransaction<TX extends ConsumerSql> = <R>(
  work: (tx: TX) => Promise<R>,
  options?: { timeoutMs?: number },
) => Promise<R>;

/** Applies one event inside the transaction that also saves the cursor. Throw to refuse it (retried, then dead-lettered). */
export type EventHandler<TX extends ConsumerSql> = (tx: TX, event: CloudEvent) => Promise<void>;

/**
 * Applies several events (in sequence order) inside the one transaction that also saves the cursor.
 * It must leave the same state as applying them one by one with the consumer's EventHandler. Throw to
 * refuse the batch: the consumer then applies the events one by one (a bad one retried, then dead-lettered).
 */
export type BatchHandler<TX extends ConsumerSql> = (tx: TX, events: readonly CloudEvent[]) => Promise<void>;

/**
 * The batch handler of a per-event handler: the page's events applied one after the other in
 * the one transaction, each seeing the ones before it, so the state is that of one transaction
 * per event. What it saves is the per-event transaction, lock, cursor read and cursor save.
 */
export const inTurn =
  <TX extends ConsumerSql>(apply: EventHandler<TX>): BatchHandler<TX> =>
  async (tx, events) => {
    for (const event of events) await apply(tx, event);
  };

// Advisory locks of consumers live in their own key space (two int4 keys: this class, hashtext(name)).
const CONSUMER_LOCK_CLASS = 0x45564e54; // "EVNT"
export const SEQUENCE = /^\d{1,19}$/;

/** Reads the cursor a consumer saved; 0 when it has none. */
export async function readCursor(db: ConsumerSql, consumer: string): Promise<bigint> {
  const rows = await db.$queryRaw<
    { position: string }[]
  >`SELECT position::text AS position FROM event_cursor WHERE consumer = ${consumer}`;
  return rows[0] ? BigInt(rows[0].position) : 0n;
}

export async function saveCursor(tx: ConsumerSql, consumer: string, position: bigint): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO event_cursor (consumer, position, updated_at) VALUES (${consumer}, ${position.toString()}::bigint, now())
    ON CONFLICT (consumer) DO UPDATE SET position = GREATEST(event_cursor.position, EXCLUDED.position), updated_at = now()`;
}

export async function tryLock(tx: ConsumerSql, consumer: string): Promise<boolean> {
  const rows = await tx.$queryRaw<
    { locked: boolean }[]
  >`SELECT pg_try_advisory_xact_lock(${CONSUMER_LOCK_CLASS}::int, hashtext(${consumer})) AS locked`;
  return rows[0]?.locked === true;
}

export async function lock(tx: ConsumerSql, consumer: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(${CONSUMER_LOCK_CLASS}::int, hashtext(${consumer}))::text AS locked`;
}

export async function writeDeadLetter(
  tx: ConsumerSql,
  consumer: string,
  event: CloudEvent,
  sequence: bigint,
  error: string,
  attempts: number,
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO event_dead_letter (id, consumer, event_id, source, sequence, event, error, attempts, failed_at)
    VALUES (gen_random_uuid(), ${consumer}, ${String(event.id ?? '')}, ${String(event.source ?? '')}, ${sequence.toString()}::bigint,
            ${JSON.stringify(event)}::jsonb, ${error.slice(0, 4000)}, ${attempts}::int, now())`;
}

/** The sequence of an event, or null when it has none a cursor could hold. */
export function sequenceOf(event: CloudEvent): bigint | null {
  return typeof event?.sequence === 'string' && SEQUENCE.test(event.sequence) ? BigInt(event.sequence) : null;
}

/** The revision an event carries: a positive integer, or 0 for a record older than events; throws for anything else. */
export function revisionOf(event: CloudEvent): number {
  const revision: unknown = event.data?.revision;
  if (revision === null || revision === undefined) return 0;
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1)
    throw new Error(`bad revision ${JSON.stringify(revision)}`);
  return revision;
}
