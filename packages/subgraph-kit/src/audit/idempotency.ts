import { type CallerIdentity, graphError, sha256Hex } from '@car-check/service-kit';
import { actorOf, type RawSql } from '@car-check/events';

/** Any Prisma transaction: every subgraph has the same `idempotency_key` table. */
export type IdempotencyStore = RawSql;

/** A write named by the client's `Idempotency-Key`. */
export interface Idempotency {
  key: string;
  /** The mutation and its place in the operation (`createCar:first`): one key may name several writes of one request. */
  scope: string;
  /** What was asked: a retry must ask the same. */
  request: unknown;
  caller: CallerIdentity;
  ttlSeconds: number;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function requestHash(request: unknown): string {
  return sha256Hex(JSON.stringify(request ?? null));
}

/**
 * The stored first result of this key, if the key names an earlier write
 * that has not expired: the retry gets it back and nothing is written again.
 * The same key with a different input is refused (INVALID_ARGUMENT).
 */
export async function replayed<T>(tx: IdempotencyStore, idempotency: Idempotency): Promise<{ result: T } | null> {
  const actor = actorOf(idempotency.caller) ?? 'anonymous';
  const rows = await tx.$queryRaw<{ request_hash: string; result: unknown }[]>`
    SELECT request_hash, result FROM idempotency_key
    WHERE actor = ${actor} AND key = ${idempotency.key} AND scope = ${idempotency.scope} AND expires_at > now()
    FOR UPDATE`;
  const row = rows[0];
  if (!row) return null;
  if (row.request_hash !== requestHash(idempotency.request)) {
    throw graphError(
      'INVALID_ARGUMENT',
      'This Idempotency-Key was already used for a different request; use a new key for a new write.',
      {
        idempotencyKey: idempotency.key,
      },
    );
  }
  // Dates went into JSON as ISO strings; the result goes back as it was first returned.
  return {
    result: JSON.parse(JSON.stringify(row.result), (_k, v: unknown) =>
      typeof v === 'string' && ISO_DATE.test(v) ? new Date(v) : v,
    ) as T,
  };
}

/**
 * Remembers the write's result under its key, in the write's own transaction.
 * False when a concurrent request with the same key got there first (the
 * caller then rolls back and answers with that request's result).
 */
export async function remember(tx: IdempotencyStore, idempotency: Idempotency, result: unknown): Promise<boolean> {
  const actor = actorOf(idempotency.caller) ?? 'anonymous';
  // Expired keys go as new ones arrive, so the table holds at most a TTL's worth.
  await tx.$executeRaw`DELETE FROM idempotency_key WHERE actor = ${actor} AND key = ${idempotency.key} AND scope = ${idempotency.scope} AND expires_at <= now()`;
  const inserted = await tx.$executeRaw`
    INSERT INTO idempotency_key (actor, key, scope, request_hash, result, expires_at)
    VALUES (${actor}, ${idempotency.key}, ${idempotency.scope}, ${requestHash(idempotency.request)}, ${JSON.stringify(result)}::jsonb,
            ${new Date(Date.now() + idempotency.ttlSeconds * 1000)})
    ON CONFLICT DO NOTHING`;
  return inserted === 1;
}
