import { randomUUID } from 'node:crypto';
import { ANONYMOUS, type CallerIdentity } from '@car-check/service-kit';
import type { RawSql } from '../rawSql';

export type AuditAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'LOGIN' | 'LOGOUT' | 'REVOKE_TOKENS';

/** One field's change, values as JSON text (`null` when absent). */
export interface FieldChange {
  field: string;
  from: string | null;
  to: string | null;
}

/** Any Prisma client or transaction: every subgraph has the same `audit_event` table. */
export type AuditWriter = RawSql;

export interface AuditEntry {
  entity: string;
  entityId: string;
  action: AuditAction;
  caller: CallerIdentity;
  /** The server's id of the request. */
  requestId: string;
  /** The id the client gave its request, if any (not unique: stored as given, apart from `requestId`). */
  clientRequestId?: string | null;
  changes: FieldChange[];
  /** The entity's revision after the change (a delete's is one past its last); none for account events. */
  revision?: number | null;
  /** The request's trace id, when it is traced. */
  traceId?: string | null;
}

/** Who acted: the signed-in user, or the service that called on its own behalf. */
export function actorOf(caller: CallerIdentity): string | null {
  return caller.userId ?? (caller.service ? `service:${caller.service}` : null);
}

/** The actions that are domain events too (see packages/events/src/events/catalog.ts); account activity is audit only. */
export const EVENT_ACTIONS: readonly AuditAction[] = ['CREATE', 'UPDATE', 'DELETE'];

/**
 * Writes an audit row. Call it with the transaction that makes the change, so
 * that the change and its record are committed, or rolled back, together.
 *
 * A CREATE, UPDATE or DELETE row is also a domain event in the subgraph's
 * feed (packages/events/src/events/feed.ts), whose cursor is `sequence`. A sequence is
 * drawn at insert, not at commit: two writers could commit in the other
 * order, and a reader that has seen the larger number would never see the
 * smaller. So an event row is inserted under a transaction-scoped advisory
 * lock (keyed by this schema's audit_event table), held until commit or
 * rollback: event rows commit in sequence order, and whatever a reader sees
 * is a gap-free prefix. The lock is taken once the change is made (only an
 * update's follow-up, such as revoking tokens, and the idempotency record
 * come after it), so only the tails of concurrent writes queue; account
 * activity (LOGIN, ...) is never an event and takes no lock. On
 * PGlite, with its single connection, writes are serial anyway.
 */
export async function recordAudit(tx: AuditWriter, entry: AuditEntry): Promise<void> {
  const revision = entry.revision ?? null;
  const traceId = entry.traceId ?? null;
  const clientRequestId = entry.clientRequestId ?? null;
  if (EVENT_ACTIONS.includes(entry.action)) {
    // The lock is taken in the same statement, before the row (and its sequence) is made.
    await tx.$executeRaw`
      INSERT INTO audit_event (id, entity, entity_id, action, actor_id, request_id, changes, revision, trace_id, client_request_id)
      SELECT gen_random_uuid(), ${entry.entity}, ${entry.entityId}::uuid, ${entry.action},
             ${actorOf(entry.caller)}, ${entry.requestId}, ${JSON.stringify(entry.changes)}::jsonb, ${revision}::int, ${traceId}, ${clientRequestId}
      FROM (SELECT pg_advisory_xact_lock('audit_event'::regclass::oid::bigint)) AS commit_order`;
    return;
  }
  await tx.$executeRaw`
    INSERT INTO audit_event (id, entity, entity_id, action, actor_id, request_id, changes, revision, trace_id, client_request_id)
    VALUES (gen_random_uuid(), ${entry.entity}, ${entry.entityId}::uuid, ${entry.action},
            ${actorOf(entry.caller)}, ${entry.requestId}, ${JSON.stringify(entry.changes)}::jsonb, ${revision}::int, ${traceId}, ${clientRequestId})`;
}

// Bookkeeping columns change on every write; the audit records what the caller changed.
const BOOKKEEPING = new Set(['id', 'createdAt', 'updatedAt', 'revision']);

export interface DiffOptions {
  /** Fields never recorded at all (e.g. a password hash). */
  secret?: string[];
}

/** The fields that differ between two versions of a row (either may be null: create or delete). */
export function diffChanges(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  options: DiffOptions = {},
): FieldChange[] {
  const secret = new Set(options.secret ?? []);
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  return fields
    .filter((field) => !BOOKKEEPING.has(field) && !secret.has(field))
    .map((field) => ({ field, from: json(before?.[field]), to: json(after?.[field]) }))
    .filter((change) => change.from !== change.to);
}

/**
 * Records a row a command created outside any request (`tool`: the seed, the admin
 * bootstrap): its CREATE with the given fields, by no user, under a request id of its own.
 */
export function recordCreatedByTool(
  tx: AuditWriter,
  tool: string,
  created: { entity: string; id: string; revision: number; fields: Record<string, unknown> },
): Promise<void> {
  return recordAudit(tx, {
    entity: created.entity,
    entityId: created.id,
    action: 'CREATE',
    revision: created.revision,
    caller: { ...ANONYMOUS, service: tool },
    requestId: `${tool}-${randomUUID()}`,
    changes: diffChanges(null, created.fields),
  });
}
