import type { CallerIdentity } from '../auth/identity';

export type AuditAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'LOGIN' | 'LOGOUT' | 'REVOKE_TOKENS';

/** One field's change, values as JSON text (`null` when absent). */
export interface FieldChange {
  field: string;
  from: string | null;
  to: string | null;
}

/** Any Prisma client or transaction: every subgraph has the same `audit_event` table. */
export interface AuditWriter {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

export interface AuditEntry {
  entity: string;
  entityId: string;
  action: AuditAction;
  caller: CallerIdentity;
  requestId: string;
  changes: FieldChange[];
}

/** Who acted: the signed-in user, or the service that called on its own behalf. */
export function actorOf(caller: CallerIdentity): string | null {
  return caller.userId ?? (caller.service ? `service:${caller.service}` : null);
}

/**
 * Writes an audit row. Call it with the transaction that makes the change, so
 * that the change and its record are committed, or rolled back, together.
 */
export async function recordAudit(tx: AuditWriter, entry: AuditEntry): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO audit_event (id, entity, entity_id, action, actor_id, request_id, changes)
    VALUES (gen_random_uuid(), ${entry.entity}, ${entry.entityId}::uuid, ${entry.action},
            ${actorOf(entry.caller)}, ${entry.requestId}, ${JSON.stringify(entry.changes)}::jsonb)`;
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
